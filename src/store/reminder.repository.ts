/**
 * SQL for reminders. Due reminders are computed from reservations × persons
 * at a given instant; each is claimed by inserting its (reservation, person,
 * kind, start) key — the unique key lets exactly one scheduler win.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** A reminder that is due: who, for which reservation, with what the email shows. */
export interface DueReminder {
  reservation_uid: string;
  start_at: number;
  end_at: number;
  person_uid: string;
  person_name: string;
  email: string;
  pin: string;
  conference_uid: string;
  conference_name: string;
  did: string;
  customer_uid: string;
  time_zone: string;
}

/**
 * Reminders of `kind` due at `now`: the reservation starts within `leadMs`
 * and has not started; the conference is not canceled and has reminders on;
 * the person has an email and was registered before the reminder time; no
 * claim exists yet for this start. With `unlessWithinMs`, reservations that
 * start within that (shorter) lead are left out — their later reminder supersedes.
 */
export async function findDueReminders(
  db: Kysely<Database>,
  input: { now: number; kind: string; leadMs: number; unlessWithinMs: number | null; limit: number },
): Promise<DueReminder[]> {
  const { now, kind, leadMs, unlessWithinMs, limit } = input;
  let query = db
    .selectFrom('reservations')
    .innerJoin('conferences', 'conferences.uid', 'reservations.conference_uid')
    .innerJoin('customers', 'customers.uid', 'conferences.customer_uid')
    .innerJoin('persons', 'persons.conference_uid', 'conferences.uid')
    .select([
      'reservations.uid as reservation_uid',
      'persons.uid as person_uid',
      'persons.name as person_name',
      'persons.email',
      'persons.pin',
      'conferences.uid as conference_uid',
      'conferences.name as conference_name',
      'conferences.did',
      'conferences.customer_uid',
      'customers.time_zone',
    ])
    .select((eb) => [
      eb.ref('reservations.start_at').$notNull().as('start_at'),
      eb.ref('reservations.end_at').$notNull().as('end_at'),
    ])
    .where('reservations.start_at', '>', now)
    .where('reservations.start_at', '<=', now + leadMs)
    .where('reservations.end_at', 'is not', null)
    .where('conferences.canceled_at', 'is', null)
    .where('conferences.reminder', '=', 1)
    .where('customers.status', '=', 'ACTIVE')
    .where('persons.email', '<>', '')
    .where(sql<boolean>`persons.created_at + ${leadMs} <= reservations.start_at`)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('reminder_claims')
            .select('reminder_claims.person_uid')
            .whereRef('reminder_claims.reservation_uid', '=', 'reservations.uid')
            .whereRef('reminder_claims.person_uid', '=', 'persons.uid')
            .whereRef('reminder_claims.start_at', '=', 'reservations.start_at')
            .where('reminder_claims.kind', '=', kind),
        ),
      ),
    );
  if (unlessWithinMs !== null) query = query.where('reservations.start_at', '>', now + unlessWithinMs);
  return query.orderBy('reservations.start_at').orderBy('persons.uid').limit(limit).execute();
}

/** Claims one reminder; false when another scheduler (or an earlier sweep) has it. */
export async function claimReminder(
  db: Kysely<Database>,
  claim: {
    reservation_uid: string;
    person_uid: string;
    kind: string;
    start_at: number;
    mail_uid: string;
    created_at: number;
  },
): Promise<boolean> {
  const inserted = await db
    .insertInto('reminder_claims')
    .values(claim)
    .onConflict((oc) => oc.columns(['reservation_uid', 'person_uid', 'kind', 'start_at']).doNothing())
    .returning('mail_uid')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Deletes the claims of reservations that started before `before`: a reminder
 * is only ever due before its start, so these can never be claimed again.
 */
export async function pruneReminderClaims(db: Kysely<Database>, before: number): Promise<void> {
  await db.deleteFrom('reminder_claims').where('start_at', '<', before).execute();
}
