/** SQL for the calendar invitations sent to self-registered persons. */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, InvitationTable } from './schema.js';

export type InvitationRow = Selectable<InvitationTable>;

export async function insertInvitation(db: Kysely<Database>, row: Insertable<InvitationTable>): Promise<void> {
  await db.insertInto('invitations').values(row).execute();
}

/** An invitation to re-check, with its person and conference (person fields null when removed). */
export interface InvitationToCheck {
  person_uid: string;
  conference_uid: string;
  customer_uid: string;
  sequence: number;
  schedule: string;
  canceled: number;
  conference_name: string;
  did: string;
  canceled_at: number | null;
  time_zone: string;
  person_name: string | null;
  email: string | null;
  pin: string | null;
}

/**
 * Invitations that may need an update at `now`: those of conferences still
 * ahead or running (last_end after now), and those of canceled conferences
 * not yet told. Invitations of conferences that are over are left alone.
 */
export async function listInvitationsToCheck(
  db: Kysely<Database>,
  now: number,
  afterPersonUid: string,
  limit: number,
): Promise<InvitationToCheck[]> {
  return db
    .selectFrom('invitations')
    .innerJoin('conferences', 'conferences.uid', 'invitations.conference_uid')
    .innerJoin('customers', 'customers.uid', 'conferences.customer_uid')
    .leftJoin('persons', 'persons.uid', 'invitations.person_uid')
    .select([
      'invitations.person_uid',
      'invitations.conference_uid',
      'invitations.customer_uid',
      'invitations.sequence',
      'invitations.schedule',
      'invitations.canceled',
      'conferences.name as conference_name',
      'conferences.did',
      'conferences.canceled_at',
      'customers.time_zone',
      'persons.name as person_name',
      'persons.email',
      'persons.pin',
    ])
    .where('invitations.canceled', '=', 0)
    .where((eb) => eb.or([eb('conferences.canceled_at', 'is not', null), eb('conferences.last_end', '>', now)]))
    .where('invitations.person_uid', '>', afterPersonUid)
    .orderBy('invitations.person_uid')
    .limit(limit)
    .execute();
}

/** The timed reservations of some conferences. */
export async function listTimedReservations(db: Kysely<Database>, conferenceUids: readonly string[]) {
  if (conferenceUids.length === 0) return [];
  return db
    .selectFrom('reservations')
    .select(['uid', 'conference_uid', 'start_at', 'end_at'])
    .where('conference_uid', 'in', conferenceUids)
    .where('start_at', 'is not', null)
    .execute();
}

/**
 * Moves an invitation from `fromSequence` to its new state (compare-and-swap):
 * false when another scheduler got there first.
 */
export async function advanceInvitation(
  db: Kysely<Database>,
  personUid: string,
  fromSequence: number,
  next: { sequence: number; schedule: string; canceled: number; updated_at: number },
): Promise<boolean> {
  const result = await db
    .updateTable('invitations')
    .set(next)
    .where('person_uid', '=', personUid)
    .where('sequence', '=', fromSequence)
    .where('canceled', '=', 0)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteInvitation(db: Kysely<Database>, personUid: string): Promise<void> {
  await db.deleteFrom('invitations').where('person_uid', '=', personUid).execute();
}

/** The SEQUENCE last sent to a person, or null when they have no invitation. */
export async function findInvitationSequence(db: Kysely<Database>, personUid: string): Promise<number | null> {
  const row = await db
    .selectFrom('invitations')
    .select('sequence')
    .where('person_uid', '=', personUid)
    .executeTakeFirst();
  return row?.sequence ?? null;
}
