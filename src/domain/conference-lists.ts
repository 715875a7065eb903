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
import { z } from 'zod';
import type { CallContext } from '../context.js';
import {
  readConferenceList,
  type ListMoment,
  type ListPart,
  type ListPosition,
  type ListSnapshot,
} from '../store/conference-list.repository.js';
import type { CustomValue } from '../store/custom-value.repository.js';
import type { ReservationRow } from '../store/reservation.repository.js';
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
  /**
   * Until when this list holds for these rows (SQLite; -Infinity elsewhere):
   * the soonest instant any of the customer's conferences could change
   * status by time alone — a reservation window opening or a reservation
   * ending (see `statusValidUntil`), listed or not, since either moves a
   * conference between lists.
   */
  validUntil: number;
  /** The instant the list was read at: it holds from then until `validUntil`. */
  readAt: number;
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
 * snapshot (`readConferenceList`), so the rows the list picks and
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
  const parts = partsOf(status, after);
  const snapshot = await readConferenceList(
    services.store.db,
    customer.uid,
    { ...at, maxDurationMs: maxDurationMinutes * 60_000 },
    parts,
    limit,
    // What statusValidUntil looks for: a window opening after now, an end after now.
    { startsAfter: at.now + at.openMs, endsAfter: at.now },
  );
  const views = viewsOf(snapshot, at);
  const validUntil = listValidUntil(snapshot.next, at.openMs);
  if (!page) return { views, truncated: snapshot.more, validUntil, readAt: at.now };
  const last = snapshot.found.at(-1);
  const nextCursor =
    snapshot.more && last
      ? encodeCursor(`conference:${status}`, [partName(parts[last.part]!), last.row.list_at, last.row.uid])
      : undefined;
  return { views, truncated: false, validUntil, readAt: at.now, ...(nextCursor === undefined ? {} : { nextCursor }) };
}

/**
 * The first instant a list could answer differently without a write, from
 * the customer's soonest reservation start after the window's opening
 * offset and soonest end after now: the earlier of that window opening and
 * that end. -Infinity when the store did not read them (no cache).
 */
function listValidUntil(next: ListSnapshot['next'], openMs: number): number {
  if (!next) return -Infinity;
  const opens = next.start === null ? Infinity : next.start - openMs;
  return Math.min(opens, next.end ?? Infinity);
}

/** The parts a list is read from, in order, starting after `after`. */
function partsOf(status: ConferenceStatus, after: PagePosition | undefined): ListPart[] {
  switch (status) {
    case 'ACTIVE':
      return [{ kind: 'active', after }];
    case 'CANCEL':
      return [{ kind: 'canceled', after }];
    case 'CLOSED':
      return [{ kind: 'expired', after }];
    case 'SCHED':
      return [{ kind: 'upcoming', after }];
    case 'IDLE':
      // Reserved conferences inside a window first (soonest start), then reservationless ones (newest).
      return after?.part === 'reservationless'
        ? [{ kind: 'reservationless', after }]
        : [{ kind: 'openReserved', after }, { kind: 'reservationless' }];
  }
}

/** The part of its list a position is in (a cursor carries it). */
function partName(part: ListPart): Part {
  return part.kind === 'reservationless' ? 'reservationless' : 'main';
}

/** Each listed conference with its children, and its status now. */
function viewsOf(snapshot: ListSnapshot, at: ListMoment): ConferenceView[] {
  const reservationsOf = groupBy(snapshot.reservations, (r) => r.conference_uid);
  const personsOf = groupBy(snapshot.persons, (p) => p.conference_uid);
  const callsOf = groupBy(snapshot.calls, (c) => c.conference_uid);
  const customOf = groupBy(snapshot.custom, (c) => c.object_uid);
  return snapshot.found.map(({ row: { list_at: _, ...row } }) => {
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
