/**
 * The event log: every change appends what it changed, as the API presents
 * it, in the change's own transaction (so nothing changes without its event
 * and a rolled-back change leaves none). Each domain operation makes one
 * `recordEvents` call as the last step of its transaction; the object is built
 * by the same presenters the API answers with, read through that transaction.
 * Once the transaction commits, whoever listens on the store (the webhook
 * worker) is told, so deliveries start at once.
 */
import type { Kysely } from 'kysely';
import type { CallContext, Services } from '../context.js';
import { presentCall, presentCaller } from '../presenters/call.js';
import { presentCustomValues } from '../presenters/common.js';
import { presentConference } from '../presenters/conference.js';
import { presentPerson } from '../presenters/person.js';
import { presentReservation } from '../presenters/reservation.js';
import type { TreeObject } from '../protocol/tree.js';
import {
  listBreakoutUids,
  listCallerUids,
  listCallUids,
  type CallerRow,
  type CallRow,
} from '../store/call.repository.js';
import type { ConferenceRow } from '../store/conference.repository.js';
import { listCustomValues, type CustomObjectType, type CustomValue } from '../store/custom-value.repository.js';
import { afterCommit, rootStore, type Store } from '../store/database.js';
import { appendEvents, listEvents, type EventRow, type NewEventRow } from '../store/event.repository.js';
import { listPersonUids, type PersonRow } from '../store/person.repository.js';
import { listReservations, type ReservationRow } from '../store/reservation.repository.js';
import type { Database } from '../store/schema.js';
import { readStatus } from './status.js';
import { andThen, type MaybePromise } from '../maybe-promise.js';

/** Every event type, in the order the documentation lists them. */
export const eventTypes = [
  'person.registered',
  'person.updated',
  'person.removed',
  'conference.created',
  'conference.updated',
  'conference.canceled',
  'reservation.added',
  'reservation.updated',
  'reservation.removed',
  'call.started',
  'call.ended',
  'caller.joined',
  'caller.left',
  'custom_value.updated',
] as const;

export type EventType = (typeof eventTypes)[number];

/** Where a person's registration came from. */
export type RegistrationSource = 'api' | 'self-registration' | 'admin';

/** A change to record: its type and the object(s) it concerns, presented. */
export interface DomainEvent {
  type: EventType;
  data: TreeObject;
}

const listeners = new WeakMap<Store, Set<() => void>>();

/** Calls `listener` after each commit that appended events to `store`; returns the unsubscribe function. */
export function onEventsCommitted(store: Store, listener: () => void): () => void {
  let set = listeners.get(store);
  if (!set) listeners.set(store, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/**
 * Appends `events` for the customer inside `trx` — the last write of the
 * change's transaction. Returns the rows, numbered: at once inside an SQLite
 * write group (appendEvents), a promise elsewhere.
 */
export function recordEvents(
  trx: Kysely<Database>,
  services: Services,
  customerUid: string,
  events: readonly DomainEvent[],
): MaybePromise<EventRow[]> {
  return andThen(appendEvents(trx, customerUid, eventRows(services, events)), (rows) => {
    afterCommit(trx, () => eventsCommitted(services.store));
    return rows;
  });
}

/**
 * The rows `events` are appended as (ids drawn, the time taken now), for a
 * store function that appends them in its own statement (one-statement
 * writes); it must then call eventsCommitted once that has committed.
 */
export function eventRows(services: Services, events: readonly DomainEvent[]): NewEventRow[] {
  const at = services.clock.now();
  return events.map((e) => ({
    id: `evt_${services.random.uid()}`,
    type: e.type,
    occurred_at: at,
    data: JSON.stringify(e.data),
  }));
}

/** Tells the store's listeners (the webhook worker) that committed events wait. */
export function eventsCommitted(store: Store): void {
  // An idempotent call's store is derived from the one the listeners know.
  for (const listener of listeners.get(rootStore(store)) ?? []) {
    try {
      listener();
    } catch {
      // A listener only wakes a worker: its failure must not turn a committed change into an error.
    }
  }
}

/** `{person, source?}` for the person events. */
export function personEvent(
  type: Extract<EventType, `person.${string}`>,
  person: PersonRow,
  did: string,
  custom: readonly CustomValue[],
  source?: RegistrationSource,
): DomainEvent {
  const data: Record<string, TreeObject | string> = { person: presentPerson(person, did, custom) };
  if (source !== undefined) data.source = source;
  return { type, data };
}

/** `{conference}` for the conference events: the Conference object as getConference shows it, read in `trx`. */
export async function conferenceEvent(
  trx: Kysely<Database>,
  ctx: CallContext,
  type: Extract<EventType, `conference.${string}`>,
  row: ConferenceRow,
): Promise<DomainEvent> {
  const customerUid = ctx.customer.uid;
  const { clock, config } = ctx.services;
  // Sequential: a transaction has one connection.
  const reservations = await listReservations(trx, customerUid, row.uid);
  const personUids = await listPersonUids(trx, customerUid, row.uid);
  const callUids = await listCallUids(trx, customerUid, row.uid);
  const custom = await listCustomValues(trx, customerUid, 'conference', row.uid);
  const status = readStatus(row, reservations, clock.now(), config.reservationOpenMinutes * 60_000);
  const conference = presentConference(
    { row, status, reservations, personUids, callUids, custom },
    { timeZone: ctx.customer.time_zone, publicUrl: config.publicUrl },
  );
  return { type, data: { conference } };
}

/** `{reservation}` for the reservation events. */
export function reservationEvent(
  ctx: CallContext,
  type: Extract<EventType, `reservation.${string}`>,
  row: ReservationRow,
): DomainEvent {
  return { type, data: { reservation: presentReservation(row, ctx.customer.time_zone) } };
}

/** `{call}` for call.started and call.ended, read in `trx`. */
export async function callEvent(
  trx: Kysely<Database>,
  ctx: CallContext,
  type: Extract<EventType, `call.${string}`>,
  row: CallRow,
): Promise<DomainEvent> {
  const customerUid = ctx.customer.uid;
  const callerUids = await listCallerUids(trx, customerUid, row.uid);
  const breakoutUids = await listBreakoutUids(trx, customerUid, row.uid);
  const custom = await listCustomValues(trx, customerUid, 'call', row.uid);
  const call = presentCall(
    { row, callerUids, breakoutUids, custom },
    { timeZone: ctx.customer.time_zone, now: ctx.services.clock.now() },
  );
  return { type, data: { call } };
}

/** `{caller}` for caller.joined and caller.left. */
export function callerEvent(
  ctx: CallContext,
  type: Extract<EventType, `caller.${string}`>,
  row: CallerRow,
  custom: readonly CustomValue[] = [],
): DomainEvent {
  return { type, data: { caller: presentCaller(row, custom, ctx.customer.time_zone) } };
}

/** `custom_value.updated`: the key set (an empty value removed it) and the object's values after the change. */
export function customValueEvent(
  objectType: CustomObjectType,
  objectUid: string,
  key: string,
  value: string,
  values: readonly CustomValue[],
): DomainEvent {
  return {
    type: 'custom_value.updated',
    data: {
      objectType,
      objectUID: objectUid,
      key,
      value,
      custom: presentCustomValues(values),
    },
  };
}

/** The most events one getEvents answer carries. */
export const eventPageLimit = 1000;

/** A page of a customer's events after `after`, and whether more remain. */
export async function readEvents(
  ctx: CallContext,
  after: number,
  limit: number,
): Promise<{ events: EventRow[]; more: boolean }> {
  const rows = await listEvents(ctx.services.store.db, ctx.customer.uid, after, limit + 1);
  return { events: rows.slice(0, limit), more: rows.length > limit };
}
