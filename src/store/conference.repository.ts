/** SQL for conferences. Every statement is scoped by customer. */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { ConferenceTable, Database } from './schema.js';

export type ConferenceRow = Selectable<ConferenceTable>;
export type NewConference = Insertable<ConferenceTable>;
export type ConferencePatch = Updateable<ConferenceTable>;

export async function insertConference(db: Kysely<Database>, row: NewConference): Promise<ConferenceRow> {
  return db.insertInto('conferences').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findConference(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
): Promise<ConferenceRow | undefined> {
  return db
    .selectFrom('conferences')
    .selectAll()
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .executeTakeFirst();
}

/**
 * Takes the conference's write lock for the rest of the transaction and returns
 * the row: a no-op UPDATE locks the row on PostgreSQL and takes the database
 * write lock on SQLite, so checks that follow cannot race another writer.
 */
export async function lockConference(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
): Promise<ConferenceRow | undefined> {
  return db
    .updateTable('conferences')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .returningAll()
    .executeTakeFirst();
}

export async function updateConference(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
  patch: ConferencePatch,
): Promise<ConferenceRow | undefined> {
  return db
    .updateTable('conferences')
    .set(patch)
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .returningAll()
    .executeTakeFirst();
}

/** The conference is no longer ACTIVE with `callUid` (a no-op when another call is named). */
export async function clearActiveCall(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
  callUid: string,
): Promise<void> {
  await db
    .updateTable('conferences')
    .set({ active_call_uid: null })
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .where('active_call_uid', '=', callUid)
    .execute();
}
