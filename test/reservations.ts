/**
 * Seeds reserved conferences straight through the store, for tests of email
 * and reminders that need reservations at chosen instants.
 */
import type { CallContext } from '../src/context.js';
import { newConferenceRow } from '../src/domain/conferences.js';
import { insertConference, updateConference } from '../src/store/conference.repository.js';
import { findCustomer } from '../src/store/customer.repository.js';
import { insertReservations } from '../src/store/reservation.repository.js';
import type { TestServer } from './harness.js';

export interface SeededSlot {
  start: number;
  minutes: number;
}

async function context(server: TestServer): Promise<CallContext> {
  const customer = await findCustomer(server.services.store.db, server.credentials.customer);
  if (!customer) throw new Error('test customer missing');
  return { services: server.services, customer };
}

/** Creates a reserved conference with the given reservations; returns its UID and reservation UIDs. */
export async function seedReservedConference(
  server: TestServer,
  name: string,
  slots: SeededSlot[],
): Promise<{ uid: string; reservations: string[] }> {
  const ctx = await context(server);
  const row = newConferenceRow(ctx, { name }, true);
  const { db } = server.services.store;
  const reservations = slots.map(() => server.services.random.uid());
  await db.transaction().execute(async (trx) => {
    await insertConference(trx, row);
    await insertReservations(
      trx,
      slots.map((slot, i) => ({
        uid: reservations[i]!,
        conference_uid: row.uid,
        customer_uid: row.customer_uid,
        start_at: slot.start,
        end_at: slot.start + slot.minutes * 60_000,
        duration: slot.minutes,
        estimated_callers: 10,
        created_at: server.clock.now(),
      })),
    );
    await updateConference(trx, row.customer_uid, row.uid, {
      last_end: Math.max(...slots.map((s) => s.start + s.minutes * 60_000)),
    });
  });
  return { uid: row.uid, reservations };
}

/** Moves a reservation (what updateConferenceReservation will do), keeping last_end right. */
export async function moveReservation(
  server: TestServer,
  conferenceUid: string,
  reservationUid: string,
  slot: SeededSlot,
): Promise<void> {
  const { db } = server.services.store;
  await db
    .updateTable('reservations')
    .set({ start_at: slot.start, end_at: slot.start + slot.minutes * 60_000, duration: slot.minutes })
    .where('uid', '=', reservationUid)
    .execute();
  const last = await db
    .selectFrom('reservations')
    .select((eb) => eb.fn.max('end_at').as('end'))
    .where('conference_uid', '=', conferenceUid)
    .executeTakeFirstOrThrow();
  await db
    .updateTable('conferences')
    .set({ last_end: Number(last.end) })
    .where('uid', '=', conferenceUid)
    .execute();
}
