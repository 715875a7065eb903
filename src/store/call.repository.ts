/** SQL for calls and callers. Every statement is scoped by customer. */
import type { Kysely, Selectable } from 'kysely';
import type { CallerTable, CallTable, Database } from './schema.js';

export type CallRow = Selectable<CallTable>;
export type CallerRow = Selectable<CallerTable>;

/** The UIDs of a conference's calls, oldest first. */
export async function listCallUids(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('calls')
    .select('uid')
    .where('conference_uid', '=', conferenceUid)
    .where('customer_uid', '=', customerUid)
    .orderBy('started_at')
    .execute();
  return rows.map((r) => r.uid);
}

export async function findCall(db: Kysely<Database>, customerUid: string, uid: string): Promise<CallRow | undefined> {
  return db
    .selectFrom('calls')
    .selectAll()
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .executeTakeFirst();
}

export async function findCaller(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
): Promise<CallerRow | undefined> {
  return db
    .selectFrom('callers')
    .selectAll()
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .executeTakeFirst();
}
