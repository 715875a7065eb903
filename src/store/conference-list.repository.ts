/**
 * SQL for the five conference lists (DESIGN.md: they partition conferences by
 * status, derived from the time of the request). Each list reads one range of
 * an index — never every conference of the customer — and the children of the
 * listed conferences are then loaded in one `in (…)` query per kind.
 * Every statement is scoped by customer.
 */
import type SqliteDatabase from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { listCallUidsOf } from './call.repository.js';
import type pg from 'pg';
import { postgresPoolOf, sqliteExecutorOf } from './database.js';
import { listPersonUidsOf } from './person.repository.js';
import { prepared, rowsOf, type PreparedQuery } from './prepared.js';
import type { ConferenceRow } from './conference.repository.js';
import type { CustomValue } from './custom-value.repository.js';
import type { ReservationRow } from './reservation.repository.js';
import { listScopePrefix } from './migrations/011-list-scope.js';
import type { Database } from './schema.js';

type SqliteStatement = SqliteDatabase.Statement;

/** The window of "now" a list is read at: reservations open `openMs` before they start. */
export interface ListMoment {
  now: number;
  openMs: number;
}

/**
 * Where a page of a list ends (keyset pagination): the list's sort value of
 * the last row given and its UID, the tie-breaker every list orders by. The
 * next page starts after it, on the same index range, without an offset.
 */
export interface ListPosition {
  at: number;
  uid: string;
}

/** A listed row with its sort value, from which the next page's position is made. */
export type ListedConference = ConferenceRow & { list_at: number };

/** ACTIVE: a call is live (index conferences_active). Oldest conference first. */
export async function listActiveConferences(
  db: Kysely<Database>,
  customerUid: string,
  limit: number,
  after?: ListPosition,
): Promise<ListedConference[]> {
  return db
    .selectFrom('conferences')
    .selectAll()
    .select('created_at as list_at')
    .where('customer_uid', '=', customerUid)
    .where('active_call_uid', 'is not', null)
    .where('canceled_at', 'is', null)
    .$if(after !== undefined, (q) =>
      q.where((eb) =>
        eb.or([
          eb('created_at', '>', after!.at),
          eb.and([eb('created_at', '=', after!.at), eb('uid', '>', after!.uid)]),
        ]),
      ),
    )
    .orderBy('created_at')
    .orderBy('uid')
    .limit(limit)
    .execute();
}

/** CANCEL (index conferences_canceled). Most recently canceled first. */
export async function listCanceledConferences(
  db: Kysely<Database>,
  customerUid: string,
  limit: number,
  after?: ListPosition,
): Promise<ListedConference[]> {
  const rows = await db
    .selectFrom('conferences')
    .selectAll()
    .where('customer_uid', '=', customerUid)
    .where('canceled_at', 'is not', null)
    .$if(after !== undefined, (q) =>
      q.where((eb) =>
        eb.or([
          eb('canceled_at', '<', after!.at),
          eb.and([eb('canceled_at', '=', after!.at), eb('uid', '>', after!.uid)]),
        ]),
      ),
    )
    .orderBy('canceled_at', 'desc')
    .orderBy('uid')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...row, list_at: row.canceled_at! }));
}

/**
 * CLOSED: reserved, and its last reservation has ended (index
 * conferences_schedule, the range last_end <= now). Most recently ended first.
 */
export async function listExpiredConferences(
  db: Kysely<Database>,
  customerUid: string,
  at: ListMoment,
  limit: number,
  after?: ListPosition,
): Promise<ListedConference[]> {
  const rows = await db
    .selectFrom('conferences')
    .selectAll()
    .where('customer_uid', '=', customerUid)
    .where('canceled_at', 'is', null)
    .where('last_end', '<=', at.now)
    .where('active_call_uid', 'is', null)
    .where(sql<boolean>`reserved = 1`)
    .$if(after !== undefined, (q) =>
      q.where((eb) =>
        eb.or([eb('last_end', '<', after!.at), eb.and([eb('last_end', '=', after!.at), eb('uid', '>', after!.uid)])]),
      ),
    )
    .orderBy('last_end', 'desc')
    .orderBy('uid')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...row, list_at: row.last_end! }));
}

/**
 * IDLE, reserved: some reservation's window [start - open, end) holds now.
 * Reservations last at most `maxDurationMs`, so such a reservation ends in
 * (now, now + open + maxDuration]: a bounded range of index
 * reservations_customer_end; each conference is then found by its key (the
 * CROSS JOIN keeps SQLite from scanning conferences on the outside).
 * Soonest current reservation first.
 */
export async function listOpenReservedConferences(
  db: Kysely<Database>,
  customerUid: string,
  at: ListMoment & { maxDurationMs: number },
  limit: number,
  after?: ListPosition,
): Promise<ListedConference[]> {
  if (limit <= 0) return [];
  const open = db
    .selectFrom('reservations')
    .select('conference_uid')
    .select((eb) => eb.fn.min('start_at').as('current_start'))
    .where('customer_uid', '=', customerUid)
    .where('end_at', '>', at.now)
    .where('end_at', '<=', at.now + at.openMs + at.maxDurationMs)
    .where('start_at', '<=', at.now + at.openMs)
    .groupBy('conference_uid')
    .as('w');
  const rows = await db
    .selectFrom(open)
    .crossJoin('conferences')
    .selectAll('conferences')
    .select('w.current_start')
    .whereRef('conferences.uid', '=', 'w.conference_uid')
    .where('conferences.customer_uid', '=', customerUid)
    .where('conferences.canceled_at', 'is', null)
    .where('conferences.active_call_uid', 'is', null)
    .$if(after !== undefined, (q) =>
      q.where((eb) =>
        eb.or([
          eb('w.current_start', '>', after!.at),
          eb.and([eb('w.current_start', '=', after!.at), eb('conferences.uid', '>', after!.uid)]),
        ]),
      ),
    )
    .orderBy('w.current_start')
    .orderBy('conferences.uid')
    .limit(limit)
    .execute();
  return rows.map(({ current_start, ...row }) => ({ ...row, list_at: Number(current_start) }));
}

/** IDLE, reservationless, no live call (index conferences_reservationless). Newest first. */
export async function listIdleReservationlessConferences(
  db: Kysely<Database>,
  customerUid: string,
  limit: number,
  after?: ListPosition,
): Promise<ListedConference[]> {
  if (limit <= 0) return [];
  return (
    db
      .selectFrom('conferences')
      .selectAll()
      .select('created_at as list_at')
      .where('customer_uid', '=', customerUid)
      // Literal, not a bound parameter, so SQLite can match the partial index's WHERE.
      .where(sql<boolean>`reserved = 0`)
      .where('canceled_at', 'is', null)
      .where('active_call_uid', 'is', null)
      .$if(after !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('created_at', '<', after!.at),
            eb.and([eb('created_at', '=', after!.at), eb('uid', '>', after!.uid)]),
          ]),
        ),
      )
      .orderBy('created_at', 'desc')
      .orderBy('uid')
      .limit(limit)
      .execute()
  );
}

/**
 * SCHED: reserved, and its next reservation's window opens after now. The
 * candidates are the live reserved conferences, last_end > now (index
 * conferences_schedule); each one's next start is the first of its
 * reservations that ends after now (index reservations_conference).
 * Soonest next start first.
 */
export async function listUpcomingConferences(
  db: Kysely<Database>,
  customerUid: string,
  at: ListMoment,
  limit: number,
  after?: ListPosition,
): Promise<ListedConference[]> {
  const live = db
    .selectFrom('conferences')
    .selectAll('conferences')
    .select((eb) =>
      eb
        .selectFrom('reservations')
        .select((r) => r.fn.min('reservations.start_at').as('start_at'))
        // Scoped through the outer conference. A customer_uid term here would
        // tempt SQLite (without statistics) onto reservations_customer_end.
        .whereRef('reservations.conference_uid', '=', 'conferences.uid')
        .where('reservations.end_at', '>', at.now)
        .as('next_start'),
    )
    .where('conferences.customer_uid', '=', customerUid)
    .where('conferences.canceled_at', 'is', null)
    .where('conferences.last_end', '>', at.now)
    .where('conferences.active_call_uid', 'is', null)
    .as('live');
  const rows = await db
    .selectFrom(live)
    .selectAll()
    .where('live.next_start', '>', at.now + at.openMs)
    .$if(after !== undefined, (q) =>
      q.where((eb) =>
        eb.or([
          eb('live.next_start', '>', after!.at),
          eb.and([eb('live.next_start', '=', after!.at), eb('live.uid', '>', after!.uid)]),
        ]),
      ),
    )
    .orderBy('live.next_start')
    .orderBy('live.uid')
    .limit(limit)
    .execute();
  return rows.map(({ next_start, ...row }) => ({ ...row, list_at: next_start! }));
}

/**
 * The reservations of many conferences, each conference's earliest first.
 * Scoped through the conference: a reservations.customer_uid term tempts
 * SQLite (without statistics) onto reservations_customer_end, which reads
 * every reservation of the customer — the list then grows with the database.
 */
export async function listReservationsOf(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUids: readonly string[],
): Promise<ReservationRow[]> {
  if (conferenceUids.length === 0) return [];
  return db
    .selectFrom('reservations')
    .innerJoin('conferences', 'conferences.uid', 'reservations.conference_uid')
    .selectAll('reservations')
    .where('conferences.uid', 'in', conferenceUids)
    .where('conferences.customer_uid', '=', customerUid)
    .orderBy('reservations.conference_uid')
    .orderBy('reservations.start_at')
    .execute();
}

/** The custom values of many conferences, by key. */
export async function listConferenceCustomValuesOf(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUids: readonly string[],
): Promise<(CustomValue & { object_uid: string })[]> {
  if (conferenceUids.length === 0) return [];
  return db
    .selectFrom('custom_values')
    .select(['object_uid', 'key', 'value'])
    .where('object_type', '=', 'conference')
    .where('object_uid', 'in', conferenceUids)
    .where('customer_uid', '=', customerUid)
    .orderBy('key')
    .execute();
}

/** One part of a list, read in order: a list is one part, IDLE two (reserved in a window, then reservationless). */
export interface ListPart {
  kind: 'active' | 'canceled' | 'expired' | 'upcoming' | 'openReserved' | 'reservationless';
  /** Where the previous page ended, in this part. */
  after?: ListPosition;
}

/** What a list reads in one snapshot: its rows (each with the index of its part) and their children. */
export interface ListSnapshot {
  found: { row: ListedConference; part: number }[];
  /** Rows beyond `limit` exist. */
  more: boolean;
  reservations: ReservationRow[];
  persons: { conference_uid: string; uid: string }[];
  calls: { conference_uid: string; uid: string }[];
  custom: (CustomValue & { object_uid: string })[];
  /**
   * SQLite, when asked: the soonest reservation start and end of any of the
   * customer's conferences after the given instants, read in the same
   * snapshot (null when there is none).
   */
  next?: { start: number | null; end: number | null };
}

/** The instants after which `readConferenceList` finds the customer's soonest reservation start and end. */
export interface ListTimeline {
  startsAfter: number;
  endsAfter: number;
}

/**
 * The change-log scope (migration 011) written on every change to one of the
 * customer's conferences or reservations: a cached list depends on it.
 */
export function listScope(customerUid: string): string {
  return `${listScopePrefix}${customerUid}`;
}

/**
 * The soonest start and end after two instants among all of a customer's
 * reservations: one seek each on reservations_customer_start and
 * reservations_customer_end (the first row of an index range), however
 * many conferences the customer has.
 */
const nextInstantsSql = `select
  (select start_at from reservations where customer_uid = ? and start_at > ? order by start_at limit 1) as start,
  (select end_at from reservations where customer_uid = ? and end_at > ? order by end_at limit 1) as "end"`;

/**
 * Reads a list in one snapshot: up to `limit` rows from `parts` in order
 * (each part filling what the ones before left), whether more exist, and the
 * children of the rows listed — so the rows and the children that decide each
 * one's status agree. SQLite: one synchronous unit of raw prepared statements
 * in one read transaction (children through `json_each(?)`, so each statement
 * is prepared once whatever the number of conferences). PostgreSQL: a list
 * of one part in one statement; IDLE's two parts as named statements in one
 * repeatable-read transaction.
 */
export async function readConferenceList(
  db: Kysely<Database>,
  customerUid: string,
  at: ListMoment & { maxDurationMs: number },
  parts: readonly ListPart[],
  limit: number,
  timeline?: ListTimeline,
): Promise<ListSnapshot> {
  const executor = sqliteExecutorOf(db);
  if (executor) {
    return executor.read(() => {
      const statement = (sqlText: string) => executor.statement(sqlText, 'array');
      const found = collect(parts, limit, (part, wanted) => sqlitePart(statement, customerUid, at, part, wanted));
      const listed = found.slice(0, limit);
      const uids = JSON.stringify(listed.map((f) => f.row.uid));
      const snapshot: ListSnapshot = {
        found: listed,
        more: found.length > limit,
        reservations: rowsOf<ReservationRow>(statement(childSql.reservations), [uids, customerUid]),
        persons: rowsOf(statement(childSql.persons), [uids, customerUid]),
        calls: rowsOf(statement(childSql.calls), [uids, customerUid]),
        custom: rowsOf(statement(childSql.custom), [uids, customerUid]),
      };
      if (timeline) {
        const [start, end] = statement(nextInstantsSql).get(
          customerUid,
          timeline.startsAfter,
          customerUid,
          timeline.endsAfter,
        ) as [number | null, number | null];
        snapshot.next = { start, end };
      }
      return snapshot;
    }, true);
  }
  const pool = postgresPoolOf(db);
  if (pool && parts.length === 1) return readWholeListOnPostgres(pool, customerUid, at, parts[0]!, limit);
  if (pool) return readOnPostgres(pool, customerUid, at, parts, limit);
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const found: { row: ListedConference; part: number }[] = [];
      for (const [i, part] of parts.entries()) {
        const wanted = limit + 1 - found.length;
        if (wanted <= 0) break;
        for (const row of await kyselyPart(trx, customerUid, at, part, wanted)) found.push({ row, part: i });
      }
      const listed = found.slice(0, limit);
      const uids = listed.map((f) => f.row.uid);
      const [reservations, persons, calls, custom] = await Promise.all([
        listReservationsOf(trx, customerUid, uids),
        listPersonUidsOf(trx, customerUid, uids),
        listCallUidsOf(trx, customerUid, uids),
        listConferenceCustomValuesOf(trx, customerUid, uids),
      ]);
      return { found: listed, more: found.length > limit, reservations, persons, calls, custom };
    });
}

/**
 * PostgreSQL: the same statements as SQLite's, as named prepared statements
 * (parsed and planned once per connection), on one connection in one
 * repeatable-read transaction; the children by `= any(?::text[])`.
 */
async function readOnPostgres(
  pool: pg.Pool,
  customerUid: string,
  at: ListMoment & { maxDurationMs: number },
  parts: readonly ListPart[],
  limit: number,
): Promise<ListSnapshot> {
  const client = await pool.connect();
  let failed = false;
  try {
    await client.query('begin isolation level repeatable read read only');
    const run = async <R>(query: PreparedQuery, values: unknown[]): Promise<R[]> =>
      (await client.query({ name: query.name, text: query.postgres, values })).rows as R[];
    const found: { row: ListedConference; part: number }[] = [];
    for (const [i, part] of parts.entries()) {
      const wanted = limit + 1 - found.length;
      if (wanted <= 0) break;
      const { query, values } = partStatement(customerUid, at, part, wanted);
      for (const row of await run<ListedConference>(query, values)) {
        row.list_at = Number(row.list_at);
        found.push({ row, part: i });
      }
    }
    const listed = found.slice(0, limit);
    const uids = listed.map((f) => f.row.uid);
    const snapshot: ListSnapshot = {
      found: listed,
      more: found.length > limit,
      reservations: await run(childQueries.reservations, [uids, customerUid]),
      persons: await run(childQueries.persons, [uids, customerUid]),
      calls: await run(childQueries.calls, [uids, customerUid]),
      custom: await run(childQueries.custom, [uids, customerUid]),
    };
    await client.query('commit');
    return snapshot;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // A failed transaction is rolled back; a connection that cannot even do that is discarded.
    if (failed) {
      await client.query('rollback').then(
        () => client.release(),
        (rollbackError: Error) => client.release(rollbackError),
      );
    } else {
      client.release();
    }
  }
}

/** The rows of `parts` in order, one more than `limit` at most (that one tells whether more exist). */
function collect(
  parts: readonly ListPart[],
  limit: number,
  read: (part: ListPart, wanted: number) => ListedConference[],
): { row: ListedConference; part: number }[] {
  const found: { row: ListedConference; part: number }[] = [];
  for (const [i, part] of parts.entries()) {
    const wanted = limit + 1 - found.length;
    if (wanted <= 0) break;
    for (const row of read(part, wanted)) found.push({ row, part: i });
  }
  return found;
}

function kyselyPart(
  db: Kysely<Database>,
  customerUid: string,
  at: ListMoment & { maxDurationMs: number },
  part: ListPart,
  limit: number,
): Promise<ListedConference[]> {
  switch (part.kind) {
    case 'active':
      return listActiveConferences(db, customerUid, limit, part.after);
    case 'canceled':
      return listCanceledConferences(db, customerUid, limit, part.after);
    case 'expired':
      return listExpiredConferences(db, customerUid, at, limit, part.after);
    case 'upcoming':
      return listUpcomingConferences(db, customerUid, at, limit, part.after);
    case 'openReserved':
      return listOpenReservedConferences(db, customerUid, at, limit, part.after);
    case 'reservationless':
      return listIdleReservationlessConferences(db, customerUid, limit, part.after);
  }
}

/**
 * The SQLite statements of each part: the same queries as the Kysely ones
 * above, written out so they are prepared once. Each has a first page and a
 * next page (`after`: the keyset condition), and yields `list_at`.
 */
const partQueries: Record<
  ListPart['kind'],
  { first: PreparedQuery; next: PreparedQuery; whole: { first: PreparedQuery; next: PreparedQuery } }
> = (() => {
  let n = 0;
  const page = (where: string, after: string, order: string) => {
    const first = `${where} order by ${order} limit ?`;
    const next = `${where} and (${after}) order by ${order} limit ?`;
    // Every list orders by its sort value (list_at), ascending or descending, then by UID.
    const descending = /^\S+ desc,/.test(order);
    ++n;
    return {
      first: prepared(`list_${n}_first`, first),
      next: prepared(`list_${n}_next`, next),
      whole: {
        first: prepared(`list_${n}_first_whole`, wholeListSql(first, descending)),
        next: prepared(`list_${n}_next_whole`, wholeListSql(next, descending)),
      },
    };
  };
  const upcoming = `select * from (select conferences.*, (select min(reservations.start_at) from reservations
      where reservations.conference_uid = conferences.uid and reservations.end_at > ?) as list_at
    from conferences where conferences.customer_uid = ? and conferences.canceled_at is null
      and conferences.last_end > ? and conferences.active_call_uid is null) as live
    where live.list_at > ?`;
  const openReserved = `select conferences.*, w.current_start as list_at from (select conference_uid, min(start_at) as current_start
      from reservations where customer_uid = ? and end_at > ? and end_at <= ? and start_at <= ? group by conference_uid) as w
    cross join conferences where conferences.uid = w.conference_uid and conferences.customer_uid = ?
      and conferences.canceled_at is null and conferences.active_call_uid is null`;
  return {
    active: page(
      'select *, created_at as list_at from conferences where customer_uid = ? and active_call_uid is not null and canceled_at is null',
      'created_at > ? or (created_at = ? and uid > ?)',
      'created_at, uid',
    ),
    canceled: page(
      'select *, canceled_at as list_at from conferences where customer_uid = ? and canceled_at is not null',
      'canceled_at < ? or (canceled_at = ? and uid > ?)',
      'canceled_at desc, uid',
    ),
    expired: page(
      `select *, last_end as list_at from conferences where customer_uid = ? and canceled_at is null and last_end <= ?
        and active_call_uid is null and reserved = 1`,
      'last_end < ? or (last_end = ? and uid > ?)',
      'last_end desc, uid',
    ),
    upcoming: page(upcoming, 'live.list_at > ? or (live.list_at = ? and live.uid > ?)', 'live.list_at, live.uid'),
    openReserved: page(
      openReserved,
      'w.current_start > ? or (w.current_start = ? and conferences.uid > ?)',
      'w.current_start, conferences.uid',
    ),
    reservationless: page(
      // Literal reserved = 0, not a bound parameter, so SQLite can match the partial index's WHERE.
      `select *, created_at as list_at from conferences where customer_uid = ? and reserved = 0 and canceled_at is null
        and active_call_uid is null`,
      'created_at < ? or (created_at = ? and uid > ?)',
      'created_at desc, uid',
    ),
  };
})();

/** The parameters of a part's statement before its keyset condition. */
function partParams(
  customerUid: string,
  at: ListMoment & { maxDurationMs: number },
  kind: ListPart['kind'],
): unknown[] {
  switch (kind) {
    case 'active':
    case 'canceled':
    case 'reservationless':
      return [customerUid];
    case 'expired':
      return [customerUid, at.now];
    case 'upcoming':
      return [at.now, customerUid, at.now, at.now + at.openMs];
    case 'openReserved':
      return [customerUid, at.now, at.now + at.openMs + at.maxDurationMs, at.now + at.openMs, customerUid];
  }
}

/** A part's statement (first page or next page) and its parameters. */
function partStatement(
  customerUid: string,
  at: ListMoment & { maxDurationMs: number },
  part: ListPart,
  limit: number,
): { query: PreparedQuery; values: unknown[] } {
  const { after } = part;
  const params = partParams(customerUid, at, part.kind);
  return after
    ? { query: partQueries[part.kind].next, values: [...params, after.at, after.at, after.uid, limit] }
    : { query: partQueries[part.kind].first, values: [...params, limit] };
}

/**
 * PostgreSQL, a list of one part: its rows (one more than `limit` at most)
 * and the children of the first `limit` of them in one statement, so in one
 * snapshot without a transaction: one round trip instead of seven (begin,
 * the rows, four kinds of children, commit). The rows come back as
 * `row_to_json` gives them, as the conference view's do: the columns of
 * `select *` with JSON numbers for the bigint instants.
 */
function wholeListSql(partSql: string, descending: boolean): string {
  const order = `list_at${descending ? ' desc' : ''}, uid`;
  const listed = `select uid from listed`;
  return `with found as materialized (${partSql}),
    listed as materialized (select uid from found order by ${order} limit ?)
    select json_build_array(
      (select coalesce(json_agg(f order by f.${order.replace(', uid', ', f.uid')}), '[]') from found f),
      (select coalesce(json_agg(r order by r.conference_uid, r.start_at), '[]') from reservations r
        inner join conferences c on c.uid = r.conference_uid where c.uid in (${listed}) and c.customer_uid = ?),
      (select coalesce(json_agg(json_build_array(p.conference_uid, p.uid) order by p.id), '[]') from persons p
        where p.conference_uid in (${listed}) and p.customer_uid = ?),
      (select coalesce(json_agg(json_build_array(k.conference_uid, k.uid) order by k.started_at, k.uid), '[]')
        from calls k where k.conference_uid in (${listed}) and k.customer_uid = ?),
      (select coalesce(json_agg(json_build_array(v.object_uid, v."key", v."value") order by v."key"), '[]')
        from custom_values v where v.object_type = 'conference' and v.object_uid in (${listed}) and v.customer_uid = ?)
    ) as baton_list`;
}

/** What a whole-list statement answers (see `wholeListSql`). */
type WholeList = [
  ListedConference[],
  ReservationRow[],
  [string, string][],
  [string, string][],
  [string, string, string][],
];

/** PostgreSQL: a list of one part, in one round trip (see `wholeListSql`). */
async function readWholeListOnPostgres(
  pool: pg.Pool,
  customerUid: string,
  at: ListMoment & { maxDurationMs: number },
  part: ListPart,
  limit: number,
): Promise<ListSnapshot> {
  const { values } = partStatement(customerUid, at, part, limit + 1);
  const whole = partQueries[part.kind].whole;
  const query = part.after ? whole.next : whole.first;
  const result = await pool.query<{ baton_list: WholeList }>({
    name: query.name,
    text: query.postgres,
    values: [...values, limit, customerUid, customerUid, customerUid, customerUid],
  });
  const [found, reservations, persons, calls, custom] = result.rows[0]!.baton_list;
  return {
    found: found.slice(0, limit).map((row) => ({ row, part: 0 })),
    more: found.length > limit,
    reservations,
    persons: persons.map(([conference_uid, uid]) => ({ conference_uid, uid })),
    calls: calls.map(([conference_uid, uid]) => ({ conference_uid, uid })),
    custom: custom.map(([object_uid, key, value]) => ({ object_uid, key, value })),
  };
}

function sqlitePart(
  statement: (sqlText: string) => SqliteStatement,
  customerUid: string,
  at: ListMoment & { maxDurationMs: number },
  part: ListPart,
  limit: number,
): ListedConference[] {
  if (limit <= 0) return [];
  const { query, values } = partStatement(customerUid, at, part, limit);
  const rows = rowsOf<ListedConference>(statement(query.sqlite), values);
  // As the Kysely queries do: the sort value as a number whatever the driver gave.
  for (const row of rows) row.list_at = Number(row.list_at);
  return rows;
}

/**
 * The children of the listed conferences, their UIDs one parameter: SQLite
 * reads a JSON array through json_each, PostgreSQL a text[].
 */
const children = {
  reservations: `select reservations.* from reservations inner join conferences on conferences.uid = reservations.conference_uid
    where conferences.uid in (UIDS) and conferences.customer_uid = ?
    order by reservations.conference_uid, reservations.start_at`,
  persons: `select conference_uid, uid from persons where conference_uid in (UIDS) and customer_uid = ? order by id`,
  calls: `select conference_uid, uid from calls where conference_uid in (UIDS) and customer_uid = ? order by started_at, uid`,
  custom: `select object_uid, "key", "value" from custom_values where object_type = 'conference'
    and object_uid in (UIDS) and customer_uid = ? order by "key"`,
};
const childSql = Object.fromEntries(
  Object.entries(children).map(([kind, text]) => [kind, text.replace('UIDS', 'select value from json_each(?)')]),
) as typeof children;
const childQueries = Object.fromEntries(
  Object.entries(children).map(([kind, text]) => [
    kind,
    prepared(`list_children_${kind}`, text.replace('UIDS', 'select unnest(?::text[])')),
  ]),
) as Record<keyof typeof children, PreparedQuery>;
