/**
 * The five conference lists (DESIGN.md). They partition conferences by status
 * at the moment of the request, so a conference is in exactly one:
 * getActiveConference = ACTIVE, getPossibleConference = IDLE,
 * getUpcomingConference = SCHED, getExpiredConference = CLOSED,
 * getCanceledConference = CANCEL. A list holds at most `conferenceListLimit`
 * conferences; the rest are left off, and the answer says so — unless the
 * client reads it page by page (`limit` and `cursor`): each page then ends
 * with a `nextCursor` while more remain (keyset pagination on each list's own
 * order, so a page costs the same however deep into the list it is).
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
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
  type ListedConference,
  type ListMoment,
  type ListPosition,
} from '../store/conference-list.repository.js';
import { listCallUidsOf } from '../store/call.repository.js';
import type { ConferenceRow } from '../store/conference.repository.js';
import { listPersonUidsOf } from '../store/person.repository.js';
import type { CustomValue } from '../store/custom-value.repository.js';
import type { ReservationRow } from '../store/reservation.repository.js';
import type { Database } from '../store/schema.js';
import type { ConferenceView } from './conferences.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { maxDurationMinutes } from './reservations.js';
import { readStatus, type ConferenceStatus } from './status.js';

/** Most conferences one list answer carries. */
export const conferenceListLimit = 1000;

/** A list's conferences, and whether more were left off. */
export interface ConferenceList {
  views: ConferenceView[];
  truncated: boolean;
  /** With a page request, when more remain: where the next page starts. */
  nextCursor?: string;
}

/** A page request: at most `limit` conferences (default and most: `conferenceListLimit`), after `cursor`. */
export interface ListPage {
  limit?: number;
  cursor?: string;
}

/**
 * Where a page ends. IDLE is two lists in a row (reserved conferences in a
 * window — the main part — then reservationless ones), so a position also
 * says which part it is in; the other lists have only the main part.
 */
type Part = 'main' | 'reservationless';
interface PagePosition extends ListPosition {
  part: Part;
}

const uidPattern = /^[A-Z0-9]{1,64}$/;
const cursorShape = z.tuple([z.enum(['main', 'reservationless']), z.number().int(), z.string().regex(uidPattern)]);

function readCursor(status: ConferenceStatus, cursor: string): PagePosition {
  const [part, at, uid] = decodeCursor(cursor, `conference:${status}`, cursorShape);
  return { part, at, uid };
}

/**
 * The conferences of this customer whose status is `status` now. Read in one
 * snapshot (a repeatable-read transaction), so the rows the list picks and
 * the children that decide each one's status agree.
 */
export async function listConferencesByStatus(
  ctx: CallContext,
  status: ConferenceStatus,
  page?: ListPage,
): Promise<ConferenceList> {
  const { services, customer } = ctx;
  const at: ListMoment = { now: services.clock.now(), openMs: services.config.reservationOpenMinutes * 60_000 };
  const after = page?.cursor === undefined ? undefined : readCursor(status, page.cursor);
  const limit = Math.min(page?.limit ?? conferenceListLimit, conferenceListLimit);
  return services.store.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      // One more than the limit tells whether any were left off.
      const found = await findRows(trx, customer.uid, status, at, limit + 1, after);
      const more = found.length > limit;
      const listed = found.slice(0, limit);
      const views = await loadViews(
        trx,
        customer.uid,
        listed.map(({ row: { list_at: _, ...row } }) => row),
        at,
      );
      if (!page) return { views, truncated: more };
      const last = listed.at(-1);
      const nextCursor =
        more && last ? encodeCursor(`conference:${status}`, [last.part, last.row.list_at, last.row.uid]) : undefined;
      return { views, truncated: false, ...(nextCursor === undefined ? {} : { nextCursor }) };
    });
}

/** A found row and the part of its list it came from. */
interface Found {
  row: ListedConference;
  part: Part;
}

async function findRows(
  db: Kysely<Database>,
  customerUid: string,
  status: ConferenceStatus,
  at: ListMoment,
  limit: number,
  after: PagePosition | undefined,
): Promise<Found[]> {
  const whole = (rows: ListedConference[]): Found[] => rows.map((row) => ({ row, part: 'main' }));
  switch (status) {
    case 'ACTIVE':
      return whole(await listActiveConferences(db, customerUid, limit, after));
    case 'CANCEL':
      return whole(await listCanceledConferences(db, customerUid, limit, after));
    case 'CLOSED':
      return whole(await listExpiredConferences(db, customerUid, at, limit, after));
    case 'SCHED':
      return whole(await listUpcomingConferences(db, customerUid, at, limit, after));
    case 'IDLE': {
      // Reserved conferences inside a window first (soonest start), then reservationless ones (newest).
      const reserved =
        after?.part === 'reservationless'
          ? []
          : await listOpenReservedConferences(
              db,
              customerUid,
              { ...at, maxDurationMs: maxDurationMinutes * 60_000 },
              limit,
              after,
            );
      const reservationless = await listIdleReservationlessConferences(
        db,
        customerUid,
        limit - reserved.length,
        after?.part === 'reservationless' ? after : undefined,
      );
      return [
        ...reserved.map((row): Found => ({ row, part: 'main' })),
        ...reservationless.map((row): Found => ({ row, part: 'reservationless' })),
      ];
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
