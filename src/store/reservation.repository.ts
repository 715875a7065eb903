/** SQL for reservations. Every statement is scoped by customer. */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, ReservationTable } from './schema.js';

export type ReservationRow = Selectable<ReservationTable>;
export type NewReservation = Insertable<ReservationTable>;

/** A conference's reservations, earliest first. */
export async function listReservations(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<ReservationRow[]> {
  return db
    .selectFrom('reservations')
    .selectAll()
    .where('conference_uid', '=', conferenceUid)
    .where('customer_uid', '=', customerUid)
    .orderBy('start_at')
    .execute();
}

export async function insertReservations(db: Kysely<Database>, rows: NewReservation[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('reservations').values(rows).execute();
}
