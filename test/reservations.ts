/** Helpers for tests of reserved conferences. */
import type { TestServer } from './harness.js';

/** One reservation item: a start as the client writes it, and minutes. */
export interface Item {
  startDate: string;
  duration: number | string;
  estimatedCallers?: number | string;
}

/** The numbered parameters of createConferenceReserved for `items` (1-based). */
export function reservationParams(items: readonly Item[], first = 1): Record<string, string> {
  const params: Record<string, string> = { reservationCount: String(items.length) };
  items.forEach((item, i) => {
    const n = first + i;
    params[`startDate${n}`] = item.startDate;
    params[`duration${n}`] = String(item.duration);
    if (item.estimatedCallers !== undefined) params[`estimatedCallers${n}`] = String(item.estimatedCallers);
  });
  return params;
}

/** Creates a reserved conference and returns its UID; throws if the server refuses. */
export async function createReservedConference(
  server: TestServer,
  items: readonly Item[],
  params: Record<string, string> = {},
): Promise<string> {
  const answer = await server.call('createConferenceReserved', {
    name: 'Reserved conference',
    ...params,
    ...reservationParams(items),
  });
  if (answer.code !== 0) throw new Error(`createConferenceReserved failed: ${answer.code} ${answer.message}`);
  return answer.value.UID as string;
}

/** `yyyy.MM.dd HH:mm:ss` of a UTC instant (for a customer in UTC). */
export function utcText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19).replace(/-/g, '.');
}

/** A reservation at a UTC instant, for `createConferenceAt`. */
export interface Slot {
  start: number;
  minutes: number;
}

/** Creates a reserved conference with reservations at these instants; returns its UID and reservation UIDs. */
export async function createConferenceAt(
  server: TestServer,
  name: string,
  slots: readonly Slot[],
): Promise<{ uid: string; reservations: string[] }> {
  const items = slots.map((s) => ({ startDate: new Date(s.start).toISOString(), duration: s.minutes }));
  const uid = await createReservedConference(server, items, { name });
  const answer = await server.call('getConference', { conferenceUID: uid });
  return { uid, reservations: answer.value.reservations as string[] };
}

/** Moves a reservation through updateConferenceReservation; throws if the server refuses. */
export async function moveReservation(server: TestServer, reservationUid: string, slot: Slot): Promise<void> {
  const answer = await server.call('updateConferenceReservation', {
    reservationUID: reservationUid,
    startDate: new Date(slot.start).toISOString(),
    duration: slot.minutes,
  });
  if (answer.code !== 0) throw new Error(`updateConferenceReservation failed: ${answer.code} ${answer.message}`);
}

/**
 * A reserved conference with two reservations, 2026.02.10 10:00–11:00 (10
 * callers) and 12:00–13:00 UTC, for tests that edit or remove one of them.
 */
export async function createTwoSlotConference(
  server: TestServer,
): Promise<{ conference: string; first: string; second: string }> {
  const conference = await createReservedConference(server, [
    { startDate: '2026.02.10 10:00:00', duration: 60, estimatedCallers: 10 },
    { startDate: '2026.02.10 12:00:00', duration: 60 },
  ]);
  const view = await server.call('getConference', { conferenceUID: conference });
  const [first, second] = view.value.reservations as [string, string];
  return { conference, first, second };
}
