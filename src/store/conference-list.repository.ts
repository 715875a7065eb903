/**
 * SQL for the five conference lists (DESIGN.md: they partition conferences by
 * status, derived from the time of the request). Each list reads one range of
 * an index — never every conference of the customer — and the children of the
 * listed conferences are then loaded in one `in (…)` query per kind.
 * Every statement is scoped by customer.
 */
import { sql, type Kysely } from 'kysely';
import type { ConferenceRow } from './conference.repository.js';
import type { CustomValue } from './custom-value.repository.js';
import type { ReservationRow } from './reservation.repository.js';
import type { Database } from './schema.js';

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
