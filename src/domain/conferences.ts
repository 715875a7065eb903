/** Conferences: creation, reading with their children, editing, cancelling. */
import type { Kysely } from 'kysely';
import type { CallContext } from '../context.js';
import { FunctionError, ParameterError } from '../errors.js';
import { checkName } from './names.js';
import { inTransaction } from '../store/database.js';
import { listCallUids } from '../store/call.repository.js';
import {
  findConference,
  insertConference,
  lockConference,
  updateConference,
  type ConferenceRow,
} from '../store/conference.repository.js';
import { findConferenceChildren, findConferenceDataChildren } from '../store/conference-view.repository.js';
import { listCustomValues, type CustomValue } from '../store/custom-value.repository.js';
import { listPersonUids, releaseConferencePins, type PersonRow } from '../store/person.repository.js';
import { insertReservations, listReservations, type ReservationRow } from '../store/reservation.repository.js';
import { conferenceFields, findField, parseFieldValue } from './editable-fields.js';
import { normaliseEmailList } from './email-address.js';
import { conferenceEvent, recordEvents } from './events.js';
import { defaultRoleFlags } from './role-flags.js';
import { readStatus, statusValidUntil, type Slot, type StatusFacts, type StatusReading } from './status.js';
import type { Database } from '../store/schema.js';

/** A conference with what getConference shows of its children. */
export interface ConferenceView {
  row: ConferenceRow;
  status: StatusReading;
  reservations: ReservationRow[];
  personUids: readonly string[];
  callUids: string[];
  custom: CustomValue[];
  /** Until when `status` holds for these rows (statusValidUntil); set by loadConference and loadConferenceData. */
  statusValidUntil?: number;
}

/** getConferenceData adds full persons (with their custom values) and the customer's custom values. */
export interface ConferenceDataView extends ConferenceView {
  persons: PersonRow[];
  personCustom: Map<string, CustomValue[]>;
  customerCustom: CustomValue[];
}

/** The overrides createConference* accept; anything missing comes from the customer record. */
export interface ConferenceDefaults {
  name?: string;
  contactEmail?: string;
  greenroom?: boolean;
  recording?: boolean;
  backgroundMusic?: boolean;
}

/** Longest conference name. */
export const conferenceNameLimit = 200;

/**
 * A conference's name follows the one name rule (names.ts): 1 to 200 characters, not blank, one line.
 * No name at all (undefined) takes the customer's: "<customer> conference".
 */
function checkConferenceName(name: string | undefined): void {
  if (name !== undefined) checkName('name', name, conferenceNameLimit, true);
}

/** A new conference row from the customer's defaults and the caller's overrides. */
export function newConferenceRow(ctx: CallContext, input: ConferenceDefaults, reserved: boolean) {
  const { customer, services } = ctx;
  checkConferenceName(input.name);
  const flag = (value: boolean | undefined, fallback: number) => (value === undefined ? fallback : value ? 1 : 0);
  return {
    uid: services.random.uid(),
    customer_uid: customer.uid,
    name: input.name ?? `${customer.name} conference`,
    did: customer.did,
    reserved: reserved ? 1 : 0,
    canceled_at: null,
    active_call_uid: null,
    last_end: null,
    recording: flag(input.recording, customer.recording),
    greenroom: flag(input.greenroom, customer.greenroom),
    background_music: flag(input.backgroundMusic, customer.background_music),
    reminder: customer.reminder,
    contact_email:
      input.contactEmail === undefined
        ? customer.contact_emails
        : normaliseEmailList(input.contactEmail, 'contactEmail'),
    security_token: services.random.key(),
    settings: JSON.stringify(defaultRoleFlags()),
    created_at: services.clock.now(),
  };
}

/**
 * createConferenceReservationless. The conference gets one reservation with no
 * times, which carries its estimated caller count.
 */
export async function createReservationless(
  ctx: CallContext,
  input: ConferenceDefaults & { estimatedCallers?: number },
): Promise<ConferenceView> {
  const row = newConferenceRow(ctx, input, false);
  const { services, customer } = ctx;
  await inTransaction(services.store.db, async (trx) => {
    await insertConference(trx, row);
    await insertReservations(trx, [
      {
        uid: services.random.uid(),
        conference_uid: row.uid,
        customer_uid: customer.uid,
        start_at: null,
        end_at: null,
        duration: null,
        estimated_callers: input.estimatedCallers ?? null,
        created_at: row.created_at,
      },
    ]);
    await recordConferenceEvent(trx, ctx, 'conference.created', row.uid);
  });
  return loadConference(ctx, row.uid);
}

/** Appends a conference event for `uid`, read again inside `trx` (for the transactions that create one). */
export async function recordConferenceEvent(
  trx: Kysely<Database>,
  ctx: CallContext,
  type: 'conference.created' | 'conference.updated',
  uid: string,
): Promise<void> {
  const row = await findConference(trx, ctx.customer.uid, uid);
  if (!row) throw new Error(`conference ${uid} vanished inside its own transaction`);
  await recordEvents(trx, ctx.services, ctx.customer.uid, [await conferenceEvent(trx, ctx, type, row)]);
}

/** The conference `uid` of this customer, or a -2 that names it. */
export async function requireConference(ctx: CallContext, uid: string): Promise<ConferenceRow> {
  const row = await findConference(ctx.services.store.db, ctx.customer.uid, uid);
  if (!row) throw new ParameterError(`no conference with UID ${uid}`);
  return row;
}

/** Reads a conference with its status at this moment. */
export function statusOf(ctx: CallContext, row: StatusFacts, reservations: readonly Slot[]) {
  const { clock, config } = ctx.services;
  return readStatus(row, reservations, clock.now(), config.reservationOpenMinutes * 60_000);
}

/** getConference: the conference and the UIDs of its children. */
export async function loadConference(ctx: CallContext, uid: string, row?: ConferenceRow): Promise<ConferenceView> {
  const { db } = ctx.services.store;
  const customerUid = ctx.customer.uid;
  if (!row) {
    // No row yet: the store reads it with its children (one statement on PostgreSQL).
    const found = await findConferenceChildren(db, customerUid, uid, ctx.readAhead);
    if (!found) throw new ParameterError(`no conference with UID ${uid}`);
    const now = ctx.services.clock.now();
    const openMs = ctx.services.config.reservationOpenMinutes * 60_000;
    return {
      ...found,
      status: readStatus(found.row, found.reservations, now, openMs),
      statusValidUntil: statusValidUntil(found.row, found.reservations, now, openMs),
    };
  }
  const [reservations, personUids, callUids, custom] = await Promise.all([
    listReservations(db, customerUid, row.uid),
    listPersonUids(db, customerUid, row.uid),
    listCallUids(db, customerUid, row.uid),
    listCustomValues(db, customerUid, 'conference', row.uid),
  ]);
  const { clock, config } = ctx.services;
  const now = clock.now();
  const openMs = config.reservationOpenMinutes * 60_000;
  return {
    row,
    status: readStatus(row, reservations, now, openMs),
    reservations,
    personUids,
    callUids,
    custom,
    statusValidUntil: statusValidUntil(row, reservations, now, openMs),
  };
}

/** getConferenceData: the conference with full persons, in a fixed number of queries (one on PostgreSQL). */
export async function loadConferenceData(ctx: CallContext, uid: string): Promise<ConferenceDataView> {
  const found = await findConferenceDataChildren(ctx.services.store.db, ctx.customer.uid, uid, ctx.readAhead);
  if (!found) throw new ParameterError(`no conference with UID ${uid}`);
  const { clock, config } = ctx.services;
  const now = clock.now();
  const openMs = config.reservationOpenMinutes * 60_000;
  return {
    ...found,
    status: readStatus(found.row, found.reservations, now, openMs),
    statusValidUntil: statusValidUntil(found.row, found.reservations, now, openMs),
  };
}

/** updateConference: code 1 for an unknown (or canceled) conference, 2 for a field it cannot set. */
export async function updateConferenceField(
  ctx: CallContext,
  uid: string,
  fieldName: string,
  value: string,
): Promise<ConferenceView> {
  return updateConferenceFields(ctx, uid, [[fieldName, value]]);
}

/**
 * Sets several updateConference fields at once (the site's settings form):
 * every value is checked first, then all are written in one transaction with
 * one conference.updated event, so a refused value writes none of them.
 */
export async function updateConferenceFields(
  ctx: CallContext,
  uid: string,
  changes: readonly (readonly [fieldName: string, value: string])[],
): Promise<ConferenceView> {
  const existing = await findConference(ctx.services.store.db, ctx.customer.uid, uid);
  if (!existing) throw new FunctionError(1, `conference ${uid} does not exist`);
  if (existing.canceled_at !== null) throw new FunctionError(1, `conference ${uid} is canceled`);
  const patch: Record<string, string | number> = {};
  for (const [fieldName, value] of changes) {
    const field = findField(conferenceFields, fieldName);
    if (!field) {
      throw new FunctionError(
        2,
        `field "${fieldName}" is not valid; use one of ${conferenceFields.map((f) => f.name).join(', ')}`,
      );
    }
    patch[field.column] = parseFieldValue(field, value);
  }
  if (changes.length === 0) return loadConference(ctx, uid, existing);
  const row = await inTransaction(ctx.services.store.db, async (trx) => {
    const updated = await updateConference(trx, ctx.customer.uid, uid, patch);
    if (updated)
      await recordEvents(trx, ctx.services, ctx.customer.uid, [
        await conferenceEvent(trx, ctx, 'conference.updated', updated),
      ]);
    return updated;
  });
  return loadConference(ctx, uid, row);
}

/**
 * cancelConference: code 1 for a conference that does not exist or cannot be
 * canceled (already canceled, or a call is live on it). Its PINs return to the pool.
 */
export async function cancelConference(ctx: CallContext, uid: string): Promise<ConferenceView> {
  const { services, customer } = ctx;
  const row = await inTransaction(services.store.db, async (trx) => {
    const locked = await lockConference(trx, customer.uid, uid);
    if (!locked) throw new FunctionError(1, `conference ${uid} does not exist`);
    if (locked.canceled_at !== null) throw new FunctionError(1, `conference ${uid} is already canceled`);
    if (locked.active_call_uid !== null) {
      throw new FunctionError(1, `conference ${uid} has a live call; end the call first`);
    }
    await releaseConferencePins(trx, customer.uid, uid);
    const canceled = await updateConference(trx, customer.uid, uid, { canceled_at: services.clock.now() });
    if (canceled) {
      await recordEvents(trx, services, customer.uid, [
        await conferenceEvent(trx, ctx, 'conference.canceled', canceled),
      ]);
    }
    return canceled;
  });
  return loadConference(ctx, uid, row);
}
