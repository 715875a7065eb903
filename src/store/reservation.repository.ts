/** SQL for reservations. Every statement is scoped by customer. */
import { fastAllCached, prepared } from './prepared.js';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database, ReservationTable } from './schema.js';

export type ReservationRow = Selectable<ReservationTable>;
export type NewReservation = Insertable<ReservationTable>;
export type ReservationPatch = Updateable<ReservationTable>;

/** A conference's reservations, earliest first. */
const reservationsOfConference = prepared(
  'reservations_of_conference',
  'select * from reservations where conference_uid = ? and customer_uid = ? order by start_at',
);

export async function listReservations(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<ReservationRow[]> {
  return (
    (fastAllCached<ReservationRow>(db, reservationsOfConference, [conferenceUid, customerUid], [conferenceUid]) as
      | Promise<ReservationRow[]>
      | undefined) ??
    db
      .selectFrom('reservations')
      .selectAll()
      .where('conference_uid', '=', conferenceUid)
      .where('customer_uid', '=', customerUid)
      .orderBy('start_at')
      .execute()
  );
}

export async function insertReservations(db: Kysely<Database>, rows: NewReservation[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('reservations').values(rows).execute();
}

export async function findReservation(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
): Promise<ReservationRow | undefined> {
  return db
    .selectFrom('reservations')
    .selectAll()
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .executeTakeFirst();
}

/**
 * The earliest timed reservation of a conference that shares any instant with
 * [start, end) — other than `exceptUid`, the one being moved.
 */
export async function findOverlappingReservation(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
  slot: { start: number; end: number },
  exceptUid?: string,
): Promise<ReservationRow | undefined> {
  let query = db
    .selectFrom('reservations')
    .selectAll()
    .where('conference_uid', '=', conferenceUid)
    .where('customer_uid', '=', customerUid)
    .where('start_at', '<', slot.end)
    .where('end_at', '>', slot.start);
  if (exceptUid !== undefined) query = query.where('uid', '<>', exceptUid);
  return query.orderBy('start_at').limit(1).executeTakeFirst();
}

export async function updateReservation(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
  patch: ReservationPatch,
): Promise<ReservationRow | undefined> {
  return db
    .updateTable('reservations')
    .set(patch)
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteReservation(db: Kysely<Database>, customerUid: string, uid: string): Promise<void> {
  await db.deleteFrom('reservations').where('uid', '=', uid).where('customer_uid', '=', customerUid).execute();
}

/** How many reservations a conference has. */
export async function countReservations(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<number> {
  const row = await db
    .selectFrom('reservations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('conference_uid', '=', conferenceUid)
    .where('customer_uid', '=', customerUid)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Sets `conferences.last_end` to the end of the conference's last reservation.
 * Every reservation write calls it in the same transaction, so the column is
 * never stale (it does not depend on the time of day).
 */
export async function refreshLastEnd(db: Kysely<Database>, customerUid: string, conferenceUid: string): Promise<void> {
  await db
    .updateTable('conferences')
    .set((eb) => ({
      last_end: eb
        .selectFrom('reservations')
        .select((r) => r.fn.max('end_at').as('last_end'))
        .where('conference_uid', '=', conferenceUid)
        .where('customer_uid', '=', customerUid),
    }))
    .where('uid', '=', conferenceUid)
    .where('customer_uid', '=', customerUid)
    .execute();
}
