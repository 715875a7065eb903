/**
 * Calendar updates for self-registered persons, by sweep: each invitation
 * remembers the schedule it last sent and its SEQUENCE. When the conference's
 * timed reservations differ, the person gets the new schedule (METHOD:REQUEST,
 * SEQUENCE + 1, and METHOD:CANCEL for reservations that are gone); when the
 * conference is canceled, METHOD:CANCEL for every event. The invitation row is
 * advanced with a compare-and-swap on its SEQUENCE in the transaction that
 * queues the email, so with several schedulers each update goes out once.
 */
import type { Services } from '../context.js';
import { enqueueMail } from '../mail/queue.js';
import type { RegistrationFacts } from '../mail/templates/facts.js';
import { conferenceCanceledMail, scheduleChangedMail } from '../mail/templates/invitation-update.js';
import { parseScheduleKey, scheduleKey, timedSlots, upcomingSlots } from '../domain/schedule.js';
import {
  advanceInvitation,
  deleteInvitation,
  listInvitationsToCheck,
  listTimedReservations,
  type InvitationToCheck,
} from '../store/invitation.repository.js';

const pageSize = 200;

/** Queues the calendar updates due at `now`; returns how many this scheduler queued. */
export async function sweepInvitations(services: Services, now: number): Promise<number> {
  const { db } = services.store;
  let queued = 0;
  let after = '';
  for (;;) {
    const page = await listInvitationsToCheck(db, now, after, pageSize);
    if (page.length === 0) return queued;
    after = page.at(-1)!.person_uid;
    const conferenceUids = [...new Set(page.map((i) => i.conference_uid))];
    const reservations = await listTimedReservations(db, conferenceUids);
    for (const invitation of page) {
      const slots = timedSlots(reservations.filter((r) => r.conference_uid === invitation.conference_uid));
      if (await updateInvitation(services, invitation, slots, now)) queued++;
    }
    if (page.length < pageSize) return queued;
  }
}

async function updateInvitation(
  services: Services,
  invitation: InvitationToCheck,
  slots: ReturnType<typeof timedSlots>,
  now: number,
): Promise<boolean> {
  const { db } = services.store;
  if (invitation.email === null || invitation.pin === null) {
    // The person was removed: nothing more to tell them.
    await deleteInvitation(db, invitation.person_uid);
    return false;
  }
  const sent = parseScheduleKey(invitation.schedule);
  const canceled = invitation.canceled_at !== null;
  const key = scheduleKey(slots);
  if (!canceled && key === invitation.schedule) return false;

  const sequence = invitation.sequence + 1;
  const facts: RegistrationFacts = {
    conference: { uid: invitation.conference_uid, name: invitation.conference_name, did: invitation.did },
    person: {
      uid: invitation.person_uid,
      name: invitation.person_name ?? '',
      email: invitation.email,
      pin: invitation.pin,
    },
    slots: upcomingSlots(slots, now),
    timeZone: invitation.time_zone,
    publicUrl: services.config.publicUrl,
    mailFrom: services.config.mailFrom,
    now,
  };
  const withdrawn = canceled
    ? upcomingSlots(sent, now)
    : upcomingSlots(
        sent.filter((old) => !slots.some((s) => s.uid === old.uid)),
        now,
      );
  // Nothing ahead changed for this person (e.g. canceled after its last session): record, send nothing.
  const tell = invitation.email !== '' && (canceled ? withdrawn.length > 0 : facts.slots.length + withdrawn.length > 0);
  const message = canceled
    ? conferenceCanceledMail(facts, withdrawn, sequence)
    : scheduleChangedMail(facts, withdrawn, sequence);
  return db.transaction().execute(async (trx) => {
    const advanced = await advanceInvitation(trx, invitation.person_uid, invitation.sequence, {
      sequence,
      schedule: canceled ? invitation.schedule : key,
      canceled: canceled ? 1 : 0,
      updated_at: now,
    });
    if (!advanced || !tell) return false;
    await enqueueMail(trx, services, {
      customerUid: invitation.customer_uid,
      conferenceUid: invitation.conference_uid,
      personUid: invitation.person_uid,
      kind: canceled ? 'invitation-cancel' : 'invitation-update',
      message,
    });
    return true;
  });
}
