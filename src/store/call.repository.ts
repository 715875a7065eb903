/**
 * SQL for calls, callers and the breakouts a call used. Every statement is
 * scoped by customer, except the two `find…Tenant` lookups: the telephony
 * bridge acts for the whole server and learns an object's customer from them.
 */
import { fastAllCached, prepared } from './prepared.js';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { CallerTable, CallTable, Database } from './schema.js';

export type CallRow = Selectable<CallTable>;
export type CallerRow = Selectable<CallerTable>;
export type NewCall = Insertable<CallTable>;
export type NewCaller = Insertable<CallerTable>;
export type CallPatch = Updateable<CallTable>;
export type CallerPatch = Updateable<CallerTable>;

/** The UIDs of a conference's calls, oldest first. */
export async function listCallUids(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<string[]> {
  const rows =
    fastAllCached<{ uid: string }>(db, callUidsOfConference, [conferenceUid, customerUid], [conferenceUid]) ??
    listCallUidsOf(db, customerUid, [conferenceUid]);
  return (await rows).map((r) => r.uid);
}

const callUidsOfConference = prepared(
  'call_uids_of_conference',
  'select uid from calls where conference_uid = ? and customer_uid = ? order by started_at, uid',
);

/** The call UIDs of many conferences, oldest first. */
export async function listCallUidsOf(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUids: readonly string[],
): Promise<{ conference_uid: string; uid: string }[]> {
  if (conferenceUids.length === 0) return [];
  return db
    .selectFrom('calls')
    .select(['conference_uid', 'uid'])
    .where('conference_uid', 'in', conferenceUids)
    .where('customer_uid', '=', customerUid)
    .orderBy('started_at')
    .orderBy('uid')
    .execute();
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

/** Whose call this is: the bridge's entry point (it has no tenant of its own). */
export async function findCallTenant(
  db: Kysely<Database>,
  uid: string,
): Promise<{ customer_uid: string; conference_uid: string } | undefined> {
  return db.selectFrom('calls').select(['customer_uid', 'conference_uid']).where('uid', '=', uid).executeTakeFirst();
}

/** Whose caller this is: the bridge's entry point (it has no tenant of its own). */
export async function findCallerTenant(
  db: Kysely<Database>,
  uid: string,
): Promise<{ customer_uid: string; conference_uid: string } | undefined> {
  return db.selectFrom('callers').select(['customer_uid', 'conference_uid']).where('uid', '=', uid).executeTakeFirst();
}

/** The ACTIVE call of a conference (at most one: index calls_one_active). */
export async function findActiveCall(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<CallRow | undefined> {
  return db
    .selectFrom('calls')
    .selectAll()
    .where('conference_uid', '=', conferenceUid)
    .where('customer_uid', '=', customerUid)
    .where('status', '=', 'ACTIVE')
    .executeTakeFirst();
}

/** Inserts a call; a second ACTIVE call of the same conference is a unique violation. */
export async function insertCall(db: Kysely<Database>, row: NewCall): Promise<CallRow> {
  return db.insertInto('calls').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateCall(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
  patch: CallPatch,
): Promise<CallRow | undefined> {
  return db
    .updateTable('calls')
    .set(patch)
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .returningAll()
    .executeTakeFirst();
}

export async function insertCaller(db: Kysely<Database>, row: NewCaller): Promise<CallerRow> {
  return db.insertInto('callers').values(row).returningAll().executeTakeFirstOrThrow();
}

/** Changes a caller that is still active; undefined when it is not (or does not exist). */
export async function updateActiveCaller(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
  patch: CallerPatch,
): Promise<CallerRow | undefined> {
  return db
    .updateTable('callers')
    .set(patch)
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .where('active', '=', 1)
    .returningAll()
    .executeTakeFirst();
}

/** Ends every active caller of a call at `at`; returns how many there were. */
export async function endActiveCallers(
  db: Kysely<Database>,
  customerUid: string,
  callUid: string,
  at: number,
): Promise<number> {
  const result = await db
    .updateTable('callers')
    .set({ active: 0, ended_at: at })
    .where('call_uid', '=', callUid)
    .where('customer_uid', '=', customerUid)
    .where('active', '=', 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function countActiveCallers(db: Kysely<Database>, customerUid: string, callUid: string): Promise<number> {
  const row = await db
    .selectFrom('callers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('call_uid', '=', callUid)
    .where('customer_uid', '=', customerUid)
    .where('active', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A call's callers in the order they joined. */
export async function listCallers(db: Kysely<Database>, customerUid: string, callUid: string): Promise<CallerRow[]> {
  return db
    .selectFrom('callers')
    .selectAll()
    .where('call_uid', '=', callUid)
    .where('customer_uid', '=', customerUid)
    .orderBy('started_at')
    .orderBy('uid')
    .execute();
}

export async function listCallerUids(db: Kysely<Database>, customerUid: string, callUid: string): Promise<string[]> {
  const rows = await db
    .selectFrom('callers')
    .select('uid')
    .where('call_uid', '=', callUid)
    .where('customer_uid', '=', customerUid)
    .orderBy('started_at')
    .orderBy('uid')
    .execute();
  return rows.map((r) => r.uid);
}

/** Records that a call used a breakout (once per breakout). */
export async function recordBreakout(
  db: Kysely<Database>,
  row: { call_uid: string; breakout_uid: string; customer_uid: string; first_used_at: number },
): Promise<void> {
  await db
    .insertInto('call_breakouts')
    .values(row)
    .onConflict((oc) => oc.columns(['call_uid', 'breakout_uid']).doNothing())
    .execute();
}

/** The distinct breakouts a call used, in order of first use. */
export async function listBreakoutUids(db: Kysely<Database>, customerUid: string, callUid: string): Promise<string[]> {
  const rows = await db
    .selectFrom('call_breakouts')
    .select('breakout_uid')
    .where('call_uid', '=', callUid)
    .where('customer_uid', '=', customerUid)
    .orderBy('first_used_at')
    .orderBy('breakout_uid')
    .execute();
  return rows.map((r) => r.breakout_uid);
}

/** A conference's calls, newest first (the administration site's list). */
export async function listConferenceCalls(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<CallRow[]> {
  return db
    .selectFrom('calls')
    .selectAll()
    .where('conference_uid', '=', conferenceUid)
    .where('customer_uid', '=', customerUid)
    .orderBy('started_at', 'desc')
    .orderBy('uid')
    .limit(200)
    .execute();
}
