/** SQL for conferences. Every statement is scoped by customer. */
import { fastAllCached, groupAll, prepared } from './prepared.js';
import { deepFreeze, writeGroupOf } from './sqlite-executor.js';
import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import { listReservations, type ReservationRow } from './reservation.repository.js';
import pg from 'pg';
import { postgresPoolOf, type Dialect } from './database.js';
import { aloneIfRefused, KeyedGroups } from './pg-groups.js';
import type { ConferenceTable, Database } from './schema.js';
import type { ReadAhead } from './conference-view.repository.js';
import type { MaybePromise } from '../maybe-promise.js';

export type ConferenceRow = Selectable<ConferenceTable>;
export type NewConference = Insertable<ConferenceTable>;
export type ConferencePatch = Updateable<ConferenceTable>;

export async function insertConference(db: Kysely<Database>, row: NewConference): Promise<ConferenceRow> {
  return db.insertInto('conferences').values(row).returningAll().executeTakeFirstOrThrow();
}

const conferenceByUid = prepared('conference_by_uid', 'select * from conferences where uid = ? and customer_uid = ?');

export async function findConference(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
): Promise<ConferenceRow | undefined> {
  return (
    fastAllCached<ConferenceRow>(db, conferenceByUid, [uid, customerUid], [uid])?.then((rows) => rows[0]) ??
    db
      .selectFrom('conferences')
      .selectAll()
      .where('uid', '=', uid)
      .where('customer_uid', '=', customerUid)
      .executeTakeFirst()
  );
}

/**
 * The conference, read inside a write transaction so that a concurrent
 * cancel cannot slip between the checks and the write: on PostgreSQL the row
 * is share-locked (a cancel's UPDATE waits for this transaction, or this read
 * waits for the cancel and sees it); on SQLite the transaction already holds
 * the database's write lock (BEGIN IMMEDIATE). Concurrent readers of the
 * same row, e.g. other addPerson calls, do not wait for each other.
 */
export async function findConferenceForShare(
  trx: Kysely<Database>,
  dialect: Dialect,
  customerUid: string,
  uid: string,
): Promise<ConferenceRow | undefined> {
  // SQLite: the write group already holds the database's write lock; no share lock to take.
  const rows = dialect === 'sqlite' ? groupAll<ConferenceRow>(trx, conferenceByUid, [uid, customerUid]) : undefined;
  if (rows) return rows[0];
  const query = trx
    .selectFrom('conferences')
    .selectAll()
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid);
  return (dialect === 'postgres' ? query.forShare() : query).executeTakeFirst();
}

/**
 * findConferenceForShare with the conference's reservations (earliest
 * first): on PostgreSQL one statement (the reservations aggregated as JSON,
 * decoded into the rows listReservations gives); on SQLite the two reads.
 */
export async function findConferenceForShareWithReservations(
  trx: Kysely<Database>,
  dialect: Dialect,
  customerUid: string,
  uid: string,
): Promise<{ row: ConferenceRow; reservations: ReservationRow[] } | undefined> {
  if (dialect !== 'postgres') {
    const row = await findConferenceForShare(trx, dialect, customerUid, uid);
    return row && { row, reservations: await listReservations(trx, customerUid, row.uid) };
  }
  const result = await sql<ConferenceRow & { baton_reservations: ReservationRow[] }>`
    select c.*, (select coalesce(json_agg(r order by r.start_at), '[]') from reservations r
      where r.conference_uid = c.uid and r.customer_uid = c.customer_uid) as baton_reservations
    from conferences c where c.uid = ${uid} and c.customer_uid = ${customerUid}
    for share of c`.execute(trx);
  const found = result.rows[0];
  if (!found) return undefined;
  const { baton_reservations: reservations, ...row } = found;
  return { row, reservations };
}

/** What registering a person reads of its conference: the PIN's number and the facts its status follows. */
export type ConferenceFacts = Pick<
  ConferenceRow,
  'uid' | 'did' | 'reserved' | 'canceled_at' | 'active_call_uid' | 'last_end'
>;

// SQLite only (json_group_array): one statement, its rows as arrays. Each column of a row object costs
// better-sqlite3 a slow native property set; the whole row and its reservations as objects took 8.9 + 3.6 µs
// of the writer's ~95 µs per addPerson, this 1.6.
const conferenceFactsQuery = prepared(
  'conference_facts',
  `select c.uid, c.did, c.reserved, c.canceled_at, c.active_call_uid, c.last_end,
     (select json_group_array(json_array(r.start_at, r.end_at)) from reservations r
      where r.conference_uid = c.uid and r.customer_uid = c.customer_uid)
   from conferences c where c.uid = ? and c.customer_uid = ?`,
);

/** A conference's facts and its reservations' times, as addPerson reads them (frozen: a group's units share it). */
export interface ConferenceFactsRead {
  row: ConferenceFacts;
  reservations: Pick<ReservationRow, 'start_at' | 'end_at'>[];
}

/**
 * findConferenceForShareWithReservations for a caller that needs only the
 * conference's facts and its reservations' times (addPerson): inside an
 * SQLite write group one narrow statement, answered at once (no promise);
 * anywhere else the full read.
 */
export function findConferenceFactsForShare(
  trx: Kysely<Database>,
  dialect: Dialect,
  customerUid: string,
  uid: string,
): MaybePromise<ConferenceFactsRead | undefined> {
  const group = dialect === 'sqlite' ? writeGroupOf(trx) : undefined;
  if (!group) return findConferenceForShareWithReservations(trx, dialect, customerUid, uid);
  // Several registrations of one conference in a write group read its facts
  // once: kept for the group's later units until a write that may change them.
  const key = `facts:${customerUid}:${uid}`;
  const kept = group.kept(key) as ConferenceFactsRead | undefined;
  if (kept) return kept;
  const values = group.inGroupRow(conferenceFactsQuery.sqlite, [uid, customerUid]);
  if (!values) return undefined;
  const [cuid, did, reserved, canceledAt, activeCallUid, lastEnd, slots] = values as [
    string,
    string,
    number,
    number | null,
    string | null,
    number | null,
    string,
  ];
  const times = JSON.parse(slots) as [number | null, number | null][];
  const read: ConferenceFactsRead = deepFreeze({
    row: { uid: cuid, did, reserved, canceled_at: canceledAt, active_call_uid: activeCallUid, last_end: lastEnd },
    reservations: times.map(([start, end]) => ({ start_at: start, end_at: end })),
  });
  group.keep(key, read);
  return read;
}

const versionedSelect = `select c.*, c.xmin::text as baton_version, (select coalesce(json_agg(r order by r.start_at), '[]')
     from reservations r where r.conference_uid = c.uid and r.customer_uid = c.customer_uid) as baton_reservations
   from conferences c where c.customer_uid = ?`;
// One conference (the usual group: one conference's registrations) has its
// own statement: PostgreSQL plans it once (a generic plan), where the
// array's form is planned afresh at every run (measured: 50 against 100-175
// µs of PostgreSQL CPU a statement).
const conferenceVersionedQuery = prepared('conference_versioned_one', `${versionedSelect} and c.uid = ?`);
const conferencesVersionedQuery = prepared('conferences_versioned', `${versionedSelect} and c.uid = any(?::text[])`);

type VersionedRow = ConferenceRow & { baton_version: string; baton_reservations: ReservationRow[] };

/**
 * The versioned reads of one customer that arrive together (see
 * KeyedGroups) as one statement: a read answered by a statement sent after
 * the request arrived is as fresh as its own would have been.
 */
const versionedReads = new WeakMap<pg.Pool, KeyedGroups<string, VersionedRow | undefined>>();

function versionedReadsOf(pool: pg.Pool): KeyedGroups<string, VersionedRow | undefined> {
  let groups = versionedReads.get(pool);
  if (!groups) {
    const read = async (customer: string, uids: readonly string[]) => {
      const distinct = [...new Set(uids)];
      const query = distinct.length === 1 ? conferenceVersionedQuery : conferencesVersionedQuery;
      const { rows } = await pool.query<VersionedRow>({
        name: query.name,
        text: query.postgres,
        values: [customer, distinct.length === 1 ? distinct[0] : distinct],
      });
      const byUid = new Map(rows.map((r) => [r.uid, r]));
      return uids.map((uid) => byUid.get(uid));
    };
    groups = new KeyedGroups(
      (customer, uids) =>
        aloneIfRefused(
          () => read(customer, uids),
          uids,
          async (uid) => (await read(customer, [uid]))[0],
        ),
      256,
    );
    versionedReads.set(pool, groups);
  }
  return groups;
}

/** A conference with its reservations and the version of its row, read outside any transaction. */
export interface VersionedConference {
  row: ConferenceRow;
  reservations: ReservationRow[];
  /**
   * The row version (PostgreSQL's xmin): every UPDATE of the row, a lock
   * bump included, makes a new one, so a write guarded by it applies only
   * to the very row this read saw.
   */
  version: string;
}

/**
 * PostgreSQL only: the conference and its reservations (as
 * findConferenceForShareWithReservations gives them) with its row version,
 * in one named statement on the pool (with the same customer's reads that
 * arrive with it), no lock and no transaction. null when `db` is not a
 * PostgreSQL store's own `db` (SQLite, or a transaction). When the request
 * read it with its credentials (`readAhead` of kind versionedConference for
 * this customer and conference, read after the request arrived), that is
 * the answer and nothing is read again: the write it guards checks the
 * version anyway.
 */
export async function findConferenceVersioned(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
  readAhead?: ReadAhead,
): Promise<VersionedConference | undefined | null> {
  const pool = postgresPoolOf(db);
  if (!pool) return null;
  if (
    readAhead !== undefined &&
    readAhead.kind === 'versionedConference' &&
    readAhead.customerUid === customerUid &&
    readAhead.uid === uid
  ) {
    const view = JSON.parse(readAhead.text) as [ConferenceRow, ReservationRow[], string] | null;
    if (view === null) return undefined;
    const [row, reservations, version] = view;
    return { row, reservations, version };
  }
  const found = await versionedReadsOf(pool).add(customerUid, uid);
  if (!found) return undefined;
  // The row may answer several requests: each gets its own objects.
  const { baton_version: version, baton_reservations: reservations, ...row } = found;
  return { row, reservations: reservations.map((r) => ({ ...r })), version };
}

/**
 * A conference by UID alone, whichever customer owns it: only for the public
 * self-registration page, whose URL carries nothing but the conference UID.
 * Everything read after it is scoped by the row's customer.
 */
export async function findConferenceForRegistration(
  db: Kysely<Database>,
  uid: string,
): Promise<ConferenceRow | undefined> {
  return db.selectFrom('conferences').selectAll().where('uid', '=', uid).executeTakeFirst();
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
