/**
 * The five conference lists (DESIGN.md). They partition conferences by status
 * at the moment of the request, so a conference is in exactly one:
 * getActiveConference = ACTIVE, getPossibleConference = IDLE,
 * getUpcomingConference = SCHED, getExpiredConference = CLOSED,
 * getCanceledConference = CANCEL. A list holds at most `conferenceListLimit`
 * conferences; the rest are left off, and the answer says so.
 */
import type { Kysely } from 'kysely';
import type { CallContext } from '../context.js';
import {
  listActiveConferences,
  listCanceledConferences,
  listConferenceCustomValuesOf,
  listExpiredConferences,
  listIdleReservationlessConferences,
  listOpenReservedConferences,
  listReservationsOf,
  listUpcomingConferences,
  type ListMoment,
} from '../store/conference-list.repository.js';
import { listCallUidsOf } from '../store/call.repository.js';
import type { ConferenceRow } from '../store/conference.repository.js';
import { listPersonUidsOf } from '../store/person.repository.js';
import type { CustomValue } from '../store/custom-value.repository.js';
import type { ReservationRow } from '../store/reservation.repository.js';
import type { Database } from '../store/schema.js';
import type { ConferenceView } from './conferences.js';
import { maxDurationMinutes } from './reservations.js';
import { readStatus, type ConferenceStatus } from './status.js';

/** Most conferences one list answer carries. */
export const conferenceListLimit = 1000;

/** A list's conferences, and whether more were left off. */
export interface ConferenceList {
  views: ConferenceView[];
  truncated: boolean;
}

/**
 * The conferences of this customer whose status is `status` now. Read in one
 * snapshot (a repeatable-read transaction), so the rows the list picks and
 * the children that decide each one's status agree.
 */
export async function listConferencesByStatus(ctx: CallContext, status: ConferenceStatus): Promise<ConferenceList> {
  const { services, customer } = ctx;
  const at: ListMoment = { now: services.clock.now(), openMs: services.config.reservationOpenMinutes * 60_000 };
  return services.store.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      // One more than the limit tells whether any were left off.
      const rows = await findRows(trx, customer.uid, status, at, conferenceListLimit + 1);
      const truncated = rows.length > conferenceListLimit;
      const views = await loadViews(trx, customer.uid, rows.slice(0, conferenceListLimit), at);
      return { views, truncated };
    });
}

async function findRows(
  db: Kysely<Database>,
  customerUid: string,
  status: ConferenceStatus,
  at: ListMoment,
  limit: number,
): Promise<ConferenceRow[]> {
  switch (status) {
    case 'ACTIVE':
      return listActiveConferences(db, customerUid, limit);
    case 'CANCEL':
      return listCanceledConferences(db, customerUid, limit);
    case 'CLOSED':
      return listExpiredConferences(db, customerUid, at, limit);
    case 'SCHED':
      return listUpcomingConferences(db, customerUid, at, limit);
    case 'IDLE': {
      // Reserved conferences inside a window first (soonest start), then reservationless ones (newest).
      const reserved = await listOpenReservedConferences(
        db,
        customerUid,
        { ...at, maxDurationMs: maxDurationMinutes * 60_000 },
        limit,
      );
      const reservationless = await listIdleReservationlessConferences(db, customerUid, limit - reserved.length);
      return [...reserved, ...reservationless];
    }
  }
}

/** The children of many conferences in one query per kind, then each one's status. */
async function loadViews(
  db: Kysely<Database>,
  customerUid: string,
  rows: readonly ConferenceRow[],
  at: ListMoment,
): Promise<ConferenceView[]> {
  const uids = rows.map((r) => r.uid);
  const [reservations, persons, calls, custom] = await Promise.all([
    listReservationsOf(db, customerUid, uids),
    listPersonUidsOf(db, customerUid, uids),
    listCallUidsOf(db, customerUid, uids),
    listConferenceCustomValuesOf(db, customerUid, uids),
  ]);
  const reservationsOf = groupBy(reservations, (r) => r.conference_uid);
  const personsOf = groupBy(persons, (p) => p.conference_uid);
  const callsOf = groupBy(calls, (c) => c.conference_uid);
  const customOf = groupBy(custom, (c) => c.object_uid);
  return rows.map((row) => {
    const own: ReservationRow[] = reservationsOf.get(row.uid) ?? [];
    return {
      row,
      status: readStatus(row, own, at.now, at.openMs),
      reservations: own,
      personUids: (personsOf.get(row.uid) ?? []).map((p) => p.uid),
      callUids: (callsOf.get(row.uid) ?? []).map((c) => c.uid),
      custom: (customOf.get(row.uid) ?? []).map((c): CustomValue => ({ key: c.key, value: c.value })),
    };
  });
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    let group = groups.get(k);
    if (!group) groups.set(k, (group = []));
    group.push(item);
  }
  return groups;
}
