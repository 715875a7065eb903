/**
 * Reservations (DESIGN.md): a reserved conference has one or more timed
 * reservations that never overlap; a reservationless conference has exactly
 * one, with no times, that carries its estimated caller count. Durations round
 * up to the next quarter hour. Every write checks and writes inside one
 * transaction that holds the conference's lock, and keeps
 * `conferences.last_end` in step.
 */
import type { Kysely } from 'kysely';
import type { CallContext, Services } from '../context.js';
import { ApiError, FunctionError, ParameterError } from '../errors.js';
import { parseWholeNumber } from '../protocol/params.js';
import { insertConference, lockConference, type ConferenceRow } from '../store/conference.repository.js';
import { listPersonsWithoutPinClaim, updatePerson } from '../store/person.repository.js';
import {
  countReservations,
  deleteReservation,
  findOverlappingReservation,
  findReservation,
  insertReservations,
  refreshLastEnd,
  updateReservation as writeReservation,
  type NewReservation,
  type ReservationRow,
} from '../store/reservation.repository.js';
import { inTransaction } from '../store/database.js';
import type { Database } from '../store/schema.js';
import {
  loadConference,
  newConferenceRow,
  recordConferenceEvent,
  type ConferenceDefaults,
  type ConferenceView,
} from './conferences.js';
import { recordEvents, reservationEvent } from './events.js';
import { allocatePin, tryClaimPin } from './pins.js';
import { holdsPins } from './status.js';
import { formatDateTime, parseDateTimeInput, resolveDateTime, type DateTimeInput } from './time.js';

/**
 * Longest reservation, in minutes (24 hours). The possible-conference list
 * relies on it to bound its index range: keep it in step with that query.
 */
export const maxDurationMinutes = 1440;
/** Most reservation items one createConferenceReserved call may carry. */
export const maxReservationCount = 100;
/** Largest estimated caller count (the same bound as createConferenceReservationless). */
export const maxEstimatedCallers = 100_000;

const minuteMs = 60_000;

/** "it will be rounded up to next 15 minute increment" (spec): 1→15, 15→15, 16→30, 61→75. */
export function roundUpToQuarterHour(minutes: number): number {
  return Math.ceil(minutes / 15) * 15;
}

/**
 * estimatedCallers: empty means "not supplied" (null); anything but a whole
 * number from 1 to 100,000 is the spec's "Estimated caller size is invalid" (code 3).
 */
export function parseEstimatedCallers(text: string | undefined, param: string): number | null {
  if (text === undefined || text.trim() === '') return null;
  const n = parseWholeNumber(text);
  if (n === null || n < 1 || n > maxEstimatedCallers) {
    throw new FunctionError(3, `${param} must be a whole number from 1 to ${maxEstimatedCallers}, got "${text}"`);
  }
  return n;
}

/** A reservation's place in time, ready to write. */
export interface PlannedSlot {
  start: number;
  end: number;
  /** Minutes, rounded up to the quarter hour. */
  duration: number;
}

/**
 * Resolves a start in the customer's time zone (a DST gap or overlap is a -2)
 * and rounds the duration. A start in the past is a -2: a reservation is for
 * a time that is still ahead.
 */
export function planSlot(
  ctx: CallContext,
  startDate: DateTimeInput,
  minutes: number,
  now: number,
  names: { startDate: string; duration: string },
): PlannedSlot {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > maxDurationMinutes) {
    throw new ParameterError(`${names.duration} must be a whole number of minutes from 1 to ${maxDurationMinutes}`);
  }
  const start = resolveDateTime(startDate, ctx.customer.time_zone, names.startDate);
  if (start < now) {
    throw new ParameterError(
      `${names.startDate}: ${formatDateTime(start, ctx.customer.time_zone)} is in the past; ` +
        `it is now ${formatDateTime(now, ctx.customer.time_zone)}`,
    );
  }
  const duration = roundUpToQuarterHour(minutes);
  return { start, end: start + duration * minuteMs, duration };
}

/** The raw text of one numbered item of createConferenceReserved (`startDate2`, …). */
export interface ReservationItemText {
  /** The number the client gave the item: "1", "2", … (or "0", … for a 0-based set). */
  number: string;
  estimatedCallers?: string;
  startDate?: string;
  duration?: string;
}

interface ReadItem {
  number: string;
  slot: PlannedSlot;
  estimatedCallers: number | null;
}

/** Reads one numbered item; throws the ApiError that says why it cannot be used. */
function readItem(ctx: CallContext, item: ReservationItemText, now: number): ReadItem {
  const n = item.number;
  const names = { startDate: `startDate${n}`, duration: `duration${n}` };
  const startText = item.startDate?.trim() ?? '';
  if (startText === '') throw new ParameterError(`${names.startDate} is required`);
  const startDate = startText.length <= 40 ? parseDateTimeInput(startText) : null;
  if (!startDate) {
    throw new ParameterError(
      `${names.startDate} must be a date and time as yyyy.MM.dd HH:mm:ss (or ISO 8601 with an offset), ` +
        `got "${startText.slice(0, 40)}"`,
    );
  }
  const durationText = item.duration?.trim() ?? '';
  if (durationText === '') throw new ParameterError(`${names.duration} is required`);
  const minutes = parseWholeNumber(durationText);
  if (minutes === null) {
    throw new ParameterError(`${names.duration} must be a whole number of minutes, got "${durationText.slice(0, 20)}"`);
  }
  const estimatedCallers = parseEstimatedCallers(item.estimatedCallers, `estimatedCallers${n}`);
  return { number: n, slot: planSlot(ctx, startDate, minutes, now, names), estimatedCallers };
}

/** What createConferenceReserved made, and which items it skipped (one reason each). */
export interface ReservedConference {
  view: ConferenceView;
  skipped: string[];
  /** The numbers of the skipped items, in the order given. */
  skippedNumbers: string[];
}

/**
 * createConferenceReserved: "The conference will be created if at least one of
 * the supplied reservation items are valid. If none … the call will error with
 * code 1." (spec) An item is invalid when a field is missing or malformed, its
 * start is in the past or at a DST gap/overlap, or it overlaps an earlier item.
 */
export async function createReserved(
  ctx: CallContext,
  input: ConferenceDefaults & { items: readonly ReservationItemText[] },
): Promise<ReservedConference> {
  const { services, customer } = ctx;
  const now = services.clock.now();
  const accepted: ReadItem[] = [];
  const skipped: string[] = [];
  const skippedNumbers: string[] = [];
  for (const item of input.items) {
    try {
      const read = readItem(ctx, item, now);
      const clash = accepted.find((a) => a.slot.start < read.slot.end && read.slot.start < a.slot.end);
      if (clash) throw new ParameterError(`it overlaps item ${clash.number}`);
      accepted.push(read);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      skipped.push(`item ${item.number}: ${error.message}`);
      skippedNumbers.push(item.number);
    }
  }
  if (accepted.length === 0) {
    throw new FunctionError(1, `no valid reservation item; ${skipped.join('; ')}`);
  }
  const row = {
    ...newConferenceRow(ctx, input, true),
    last_end: Math.max(...accepted.map((a) => a.slot.end)),
  };
  const reservations: NewReservation[] = accepted.map((a) => ({
    uid: services.random.uid(),
    conference_uid: row.uid,
    customer_uid: customer.uid,
    start_at: a.slot.start,
    end_at: a.slot.end,
    duration: a.slot.duration,
    estimated_callers: a.estimatedCallers,
    created_at: now,
  }));
  await inTransaction(services.store.db, async (trx) => {
    await insertConference(trx, row);
    await insertReservations(trx, reservations);
    await recordConferenceEvent(trx, ctx, 'conference.created', row.uid);
  });
  return { view: await loadConference(ctx, row.uid), skipped, skippedNumbers };
}

/** The reservation `uid` of this customer, or a -2 that names it. */
export async function requireReservation(ctx: CallContext, uid: string): Promise<ReservationRow> {
  const row = await findReservation(ctx.services.store.db, ctx.customer.uid, uid);
  if (!row) throw new ParameterError(`no reservation with UID ${uid}`);
  return row;
}

/** getConferenceReservation. */
export function getReservation(ctx: CallContext, uid: string): Promise<ReservationRow> {
  return requireReservation(ctx, uid);
}

export interface NewReservationInput {
  conference: string;
  startDate: DateTimeInput;
  duration: number;
  estimatedCallers?: string;
}

/**
 * addConferenceReservation: codes 1 and 2 for an overlap, 3 for an invalid
 * estimatedCallers, 4 for a reservationless conference. A closed conference
 * that gets a new reservation is live again: its persons get their PINs back,
 * or a new PIN where another conference took theirs meanwhile.
 */
export async function addReservation(ctx: CallContext, input: NewReservationInput): Promise<ReservationRow> {
  const { services, customer } = ctx;
  const estimatedCallers = parseEstimatedCallers(input.estimatedCallers, 'estimatedCallers');
  const now = services.clock.now();
  const slot = planSlot(ctx, input.startDate, input.duration, now, { startDate: 'startDate', duration: 'duration' });
  const row: NewReservation = {
    uid: services.random.uid(),
    conference_uid: input.conference,
    customer_uid: customer.uid,
    start_at: slot.start,
    end_at: slot.end,
    duration: slot.duration,
    estimated_callers: estimatedCallers,
    created_at: now,
  };
  await inTransaction(services.store.db, async (trx) => {
    const conference = await lockLiveConference(trx, ctx, input.conference);
    if (!conference.reserved) {
      throw new FunctionError(4, `conference ${conference.uid} is reservationless; it takes no reservations`);
    }
    await refuseOverlap(trx, ctx, conference.uid, slot);
    const wasOver = !holdsPins(conference, now);
    await insertReservations(trx, [row]);
    await refreshLastEnd(trx, customer.uid, conference.uid);
    if (wasOver) await restorePins(trx, services, conference);
    const added = updated(await findReservation(trx, customer.uid, row.uid));
    await recordEvents(trx, services, customer.uid, [reservationEvent(ctx, 'reservation.added', added)]);
  });
  return requireReservation(ctx, row.uid);
}

export interface ReservationChange {
  startDate?: DateTimeInput;
  duration?: number;
  estimatedCallers?: string;
}

/**
 * updateConferenceReservation: codes 1 and 2 for an overlap, 3 for an invalid
 * estimatedCallers, 4 for a new start or duration on a reservationless
 * conference. A reservation that has ended cannot change; a new start must
 * not be in the past, and a new end must be ahead.
 */
export async function changeReservation(
  ctx: CallContext,
  uid: string,
  change: ReservationChange,
): Promise<ReservationRow> {
  const { services, customer } = ctx;
  const estimatedCallers =
    change.estimatedCallers === undefined || change.estimatedCallers.trim() === ''
      ? undefined
      : parseEstimatedCallers(change.estimatedCallers, 'estimatedCallers');
  if (change.startDate === undefined && change.duration === undefined && estimatedCallers === undefined) {
    throw new ParameterError('nothing to change: supply startDate, duration or estimatedCallers');
  }
  const now = services.clock.now();
  const zone = customer.time_zone;
  const found = await requireReservation(ctx, uid);
  return inTransaction(services.store.db, async (trx) => {
    const { reservation, conference } = await lockReservation(trx, ctx, found);
    if (!conference.reserved) {
      if (change.startDate !== undefined || change.duration !== undefined) {
        // "Cannot edit start date or duration of reservationless conference" (spec code 4)
        throw new FunctionError(4, 'a reservationless conference has no start date or duration to change');
      }
      return recordChange(
        trx,
        ctx,
        updated(await writeReservation(trx, customer.uid, uid, { estimated_callers: estimatedCallers })),
      );
    }
    const oldStart = reservation.start_at!;
    const oldEnd = reservation.end_at!;
    if (oldEnd <= now) {
      throw new ParameterError(`reservation ${uid} ended ${formatDateTime(oldEnd, zone)}; it cannot change`);
    }
    let slot: PlannedSlot;
    if (change.startDate !== undefined) {
      slot = planSlot(ctx, change.startDate, change.duration ?? reservation.duration!, now, {
        startDate: 'startDate',
        duration: 'duration',
      });
    } else {
      const duration = roundUpToQuarterHour(change.duration ?? reservation.duration!);
      slot = { start: oldStart, end: oldStart + duration * minuteMs, duration };
      if (slot.end <= now) {
        throw new ParameterError(
          `duration: the reservation would end ${formatDateTime(slot.end, zone)}, which is in the past`,
        );
      }
    }
    await refuseOverlap(trx, ctx, conference.uid, slot, uid);
    const row = await writeReservation(trx, customer.uid, uid, {
      start_at: slot.start,
      end_at: slot.end,
      duration: slot.duration,
      ...(estimatedCallers === undefined ? {} : { estimated_callers: estimatedCallers }),
    });
    await refreshLastEnd(trx, customer.uid, conference.uid);
    return recordChange(trx, ctx, updated(row));
  });
}

/**
 * removeConferenceReservation: "you cannot remove a past reservation or the
 * last reservation on a conference" (spec). Codes in the spec's order:
 * 1 reservationless, 2 the only reservation, 3 already ended, 4 under way now.
 * Returns the removed reservation as it was.
 */
export async function removeReservation(ctx: CallContext, uid: string): Promise<ReservationRow> {
  const { services, customer } = ctx;
  const now = services.clock.now();
  const zone = customer.time_zone;
  const found = await requireReservation(ctx, uid);
  return inTransaction(services.store.db, async (trx) => {
    const { reservation, conference } = await lockReservation(trx, ctx, found);
    if (!conference.reserved) {
      throw new FunctionError(1, `conference ${conference.uid} is reservationless; its reservation cannot be removed`);
    }
    if ((await countReservations(trx, customer.uid, conference.uid)) <= 1) {
      throw new FunctionError(2, `reservation ${uid} is the last one of conference ${conference.uid}`);
    }
    const start = reservation.start_at!;
    const end = reservation.end_at!;
    if (end <= now) throw new FunctionError(3, `reservation ${uid} ended ${formatDateTime(end, zone)}`);
    if (start <= now) {
      throw new FunctionError(4, `reservation ${uid} is under way (it started ${formatDateTime(start, zone)})`);
    }
    await deleteReservation(trx, customer.uid, uid);
    await refreshLastEnd(trx, customer.uid, conference.uid);
    await recordEvents(trx, services, customer.uid, [reservationEvent(ctx, 'reservation.removed', reservation)]);
    return reservation;
  });
}

/** Appends reservation.updated for `row` and returns it. */
async function recordChange(trx: Kysely<Database>, ctx: CallContext, row: ReservationRow): Promise<ReservationRow> {
  await recordEvents(trx, ctx.services, ctx.customer.uid, [reservationEvent(ctx, 'reservation.updated', row)]);
  return row;
}

function updated(row: ReservationRow | undefined): ReservationRow {
  if (!row) throw new Error('a locked reservation vanished');
  return row;
}

/** Locks a conference that is not canceled, or throws the -2 for it. */
async function lockLiveConference(trx: Kysely<Database>, ctx: CallContext, uid: string): Promise<ConferenceRow> {
  const conference = await lockConference(trx, ctx.customer.uid, uid);
  if (!conference) throw new ParameterError(`no conference with UID ${uid}`);
  if (conference.canceled_at !== null) throw new ParameterError(`conference ${uid} is canceled`);
  return conference;
}

/**
 * Takes the lock of a reservation's conference (found before the
 * transaction), then reads the reservation again under it: a parallel
 * request may have moved or removed it meanwhile. Locking first keeps a
 * SQLite transaction from reading before it writes.
 */
async function lockReservation(
  trx: Kysely<Database>,
  ctx: CallContext,
  found: ReservationRow,
): Promise<{ reservation: ReservationRow; conference: ConferenceRow }> {
  const conference = await lockLiveConference(trx, ctx, found.conference_uid);
  const reservation = await findReservation(trx, ctx.customer.uid, found.uid);
  if (!reservation) throw new ParameterError(`no reservation with UID ${found.uid}`);
  return { reservation, conference };
}

/**
 * Codes 1 and 2. The spec names them "start time over lapse" and "duration
 * over lapse": Baton reads code 1 as "the new start falls inside another
 * reservation" and code 2 as "the start is free but the new reservation runs
 * into a later one".
 */
async function refuseOverlap(
  trx: Kysely<Database>,
  ctx: CallContext,
  conferenceUid: string,
  slot: PlannedSlot,
  exceptUid?: string,
): Promise<void> {
  const other = await findOverlappingReservation(trx, ctx.customer.uid, conferenceUid, slot, exceptUid);
  if (!other) return;
  const zone = ctx.customer.time_zone;
  const from = formatDateTime(other.start_at!, zone);
  const to = formatDateTime(other.end_at!, zone);
  if (other.start_at! <= slot.start) {
    throw new FunctionError(1, `startDate falls inside reservation ${other.uid} (${from} to ${to})`);
  }
  throw new FunctionError(2, `the reservation would run into reservation ${other.uid}, which starts ${from}`);
}

/**
 * A closed conference that comes back to life takes its persons' PINs back.
 * Only a person whose PIN another conference took over meanwhile lacks a
 * claim: they get it back if it is free again, else a new PIN.
 */
async function restorePins(trx: Kysely<Database>, services: Services, conference: ConferenceRow): Promise<void> {
  const persons = await listPersonsWithoutPinClaim(trx, conference.customer_uid, conference.uid);
  for (const person of persons) {
    const claim = { did: conference.did, person_uid: person.uid, conference_uid: conference.uid };
    if (await tryClaimPin(trx, services, { ...claim, pin: person.pin })) continue;
    const pin = await allocatePin(trx, services, claim);
    await updatePerson(trx, conference.customer_uid, person.uid, { pin });
  }
}
