/**
 * Self-registration (the spec: "When someone registers with the
 * self-registration URL, the system sends an immediate email to the email
 * address with the registration information. When registering someone with
 * the API, the system does not send such a notification.")
 *
 * A registration is a PARTICIPANT added through addPerson; its confirmation
 * email (with the calendar invitation) is queued in the same transaction, and
 * the schedule it carries is remembered for later updates. The same email
 * registering twice on a conference gets its existing registration: no second
 * PIN, and the confirmation is sent again (at most every few minutes).
 */
import type { Kysely } from 'kysely';
import type { CallContext, Services } from '../context.js';
import { enqueueMail } from '../mail/queue.js';
import { confirmationMail } from '../mail/templates/confirmation.js';
import type { RegistrationFacts } from '../mail/templates/facts.js';
import { findConferenceForRegistration, lockConference, type ConferenceRow } from '../store/conference.repository.js';
import { listCustomValues } from '../store/custom-value.repository.js';
import { findCustomer, type CustomerRow } from '../store/customer.repository.js';
import { findInvitationSequence, insertInvitation } from '../store/invitation.repository.js';
import { lastMailQueuedAt } from '../store/mail.repository.js';
import { findRegistrationByEmail, type PersonRow } from '../store/person.repository.js';
import { listReservations, type ReservationRow } from '../store/reservation.repository.js';
import type { Database } from '../store/schema.js';
import { isEmailAddress } from './email-address.js';
import { addPerson, personFieldLimits } from './persons.js';
import { scheduleKey, timedSlots, upcomingSlots } from './schedule.js';
import { readStatus, type StatusReading } from './status.js';

/** A conference as its registration page sees it. */
export interface RegistrationTarget {
  conference: ConferenceRow;
  customer: CustomerRow;
  reservations: ReservationRow[];
  status: StatusReading;
  /** MC_CONFIRMATION_PAGE, when set and not blank. */
  confirmationPage: string | null;
  /** Why registration is closed, or null when it is open. */
  closed: 'canceled' | 'ended' | 'unavailable' | null;
}

/** Loads a conference for its public page; undefined when there is no such conference. */
export async function loadRegistrationTarget(
  services: Services,
  conferenceUid: string,
): Promise<RegistrationTarget | undefined> {
  const { db } = services.store;
  if (conferenceUid.length > 64) return undefined;
  const conference = await findConferenceForRegistration(db, conferenceUid);
  if (!conference) return undefined;
  const [customer, reservations, custom] = await Promise.all([
    findCustomer(db, conference.customer_uid),
    listReservations(db, conference.customer_uid, conference.uid),
    listCustomValues(db, conference.customer_uid, 'conference', conference.uid),
  ]);
  if (!customer) return undefined;
  const status = readStatus(
    conference,
    reservations,
    services.clock.now(),
    services.config.reservationOpenMinutes * 60_000,
  );
  const closed =
    status.status === 'CANCEL'
      ? 'canceled'
      : status.status === 'CLOSED'
        ? 'ended'
        : customer.status !== 'ACTIVE'
          ? 'unavailable'
          : null;
  const page = custom.find((c) => c.key === 'MC_CONFIRMATION_PAGE')?.value.trim();
  return { conference, customer, reservations, status, confirmationPage: page || null, closed };
}

/** The fields of the registration form. */
export const registrationFields = ['name', 'email', 'custom1', 'custom2', 'notes'] as const;
export type RegistrationField = (typeof registrationFields)[number];
export type RegistrationValues = Record<RegistrationField, string>;

/** Reads the form's values from request parameters (missing ones are empty). */
export function registrationValues(params: Record<string, string | undefined>): RegistrationValues {
  const value = (name: RegistrationField) => (params[name] ?? '').slice(0, 10_000);
  return {
    name: value('name').trim(),
    email: value('email').trim(),
    custom1: value('custom1'),
    custom2: value('custom2'),
    notes: value('notes'),
  };
}

/** Checks the form; returns a message per field in error (empty when valid). */
export function validateRegistration(values: RegistrationValues): Partial<Record<RegistrationField, string>> {
  const errors: Partial<Record<RegistrationField, string>> = {};
  if (values.name === '') errors.name = 'Enter your name.';
  else if (values.name.length > personFieldLimits.name) {
    errors.name = `Your name can be at most ${personFieldLimits.name} characters.`;
  } else if (/[\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u.test(values.name)) {
    // A one-line field (the form's input cannot hold a line break); the name goes into mail and exports.
    // Refused too: C1 controls (NEL), line and paragraph separators, bidi overrides and isolates (they
    // show the name reversed in the site and the CSV), lone surrogates (not UTF-8). Joiners stay: some
    // scripts write names with them.
    errors.name = 'Your name cannot contain line breaks or control characters.';
  }
  if (values.email === '') errors.email = 'Enter your email address.';
  else if (!isEmailAddress(values.email)) errors.email = 'Enter an email address like name@example.com.';
  for (const field of ['custom1', 'custom2', 'notes'] as const) {
    if (values[field].length > personFieldLimits[field]) {
      errors[field] = `This can be at most ${personFieldLimits[field]} characters.`;
    }
  }
  return errors;
}

export interface Registration {
  person: PersonRow;
  /** True when this email was registered already: the existing registration is returned. */
  existing: boolean;
}

/** A confirmation is sent again for a repeated registration at most this often. */
const resendAfterMs = 10 * 60_000;

class AlreadyRegistered extends Error {
  constructor(readonly person: PersonRow) {
    super('already registered');
  }
}

/** Registers `values` (already validated) on an open conference and queues the confirmation. */
export async function register(
  services: Services,
  target: RegistrationTarget,
  values: RegistrationValues,
): Promise<Registration> {
  const { db } = services.store;
  const ctx: CallContext = { services, customer: target.customer };
  const { conference } = target;
  const existing = await findRegistrationByEmail(db, conference.customer_uid, conference.uid, values.email);
  if (existing) {
    await resendConfirmation(services, target, existing);
    return { person: existing, existing: true };
  }
  try {
    const view = await addPerson(
      ctx,
      {
        conference: conference.uid,
        role: 'PARTICIPANT',
        source: 'self-registration',
        name: values.name,
        email: values.email,
        notes: values.notes || undefined,
        custom1: values.custom1 || undefined,
        custom2: values.custom2 || undefined,
      },
      async (trx, person) => {
        // Serialise registrations on this conference, then look again: of two
        // simultaneous registrations of one address, the second finds the first.
        await lockConference(trx, conference.customer_uid, conference.uid);
        const earlier = await findRegistrationByEmail(trx, conference.customer_uid, conference.uid, values.email);
        if (earlier && earlier.uid !== person.uid) throw new AlreadyRegistered(earlier);
        await queueConfirmation(trx, services, target, person, null);
      },
    );
    return { person: view.person, existing: false };
  } catch (error) {
    if (error instanceof AlreadyRegistered) return { person: error.person, existing: true };
    throw error;
  }
}

async function resendConfirmation(services: Services, target: RegistrationTarget, person: PersonRow): Promise<void> {
  const { db } = services.store;
  const last = await lastMailQueuedAt(db, person.customer_uid, person.uid, 'confirmation');
  if (last !== null && services.clock.now() - last < resendAfterMs) return;
  // Someone added through the API has no invitation yet: this registration starts one.
  const sequence = await findInvitationSequence(db, person.uid);
  await db.transaction().execute((trx) => queueConfirmation(trx, services, target, person, sequence));
}

/**
 * Queues the confirmation with the invitation at `sequence`; with null (no
 * invitation yet) it records one at SEQUENCE 0 carrying the current schedule.
 */
async function queueConfirmation(
  db: Kysely<Database>,
  services: Services,
  target: RegistrationTarget,
  person: PersonRow,
  sequence: number | null,
): Promise<void> {
  const now = services.clock.now();
  const slots = timedSlots(target.reservations);
  const facts = registrationFacts(services, target, person, now);
  if (sequence === null) {
    await insertInvitation(db, {
      person_uid: person.uid,
      conference_uid: person.conference_uid,
      customer_uid: person.customer_uid,
      sequence: 0,
      schedule: scheduleKey(slots),
      canceled: 0,
      updated_at: now,
    });
  }
  await enqueueMail(db, services, {
    customerUid: person.customer_uid,
    conferenceUid: person.conference_uid,
    personUid: person.uid,
    kind: 'confirmation',
    // A repeated confirmation carries the invitation as it stands (its SEQUENCE is not raised).
    message: confirmationMail(facts, sequence ?? 0),
  });
}

/** What the confirmation email and page show. */
export function registrationFacts(
  services: Services,
  target: RegistrationTarget,
  person: PersonRow,
  now: number,
): RegistrationFacts {
  return {
    conference: { uid: target.conference.uid, name: target.conference.name, did: target.conference.did },
    person: { uid: person.uid, name: person.name, email: person.email, pin: person.pin },
    slots: upcomingSlots(timedSlots(target.reservations), now),
    timeZone: target.customer.time_zone,
    publicUrl: services.config.publicUrl,
    mailFrom: services.config.mailFrom,
    now,
  };
}
