/**
 * Reminders 24 h and 2 h before each reservation (the spec: "reminders are
 * sent before the conference (24 and 2 hours currently)… to the registered
 * email addresses whether or not they came in via the API or the
 * self-registration URL").
 *
 * A sweep, with no hooks in the reservation code: at `now` it computes from
 * reservations × persons which reminders are due and claims each in
 * reminder_claims, keyed by (reservation, person, kind, start), queueing the
 * email in the same transaction. So every reminder goes out once, whichever
 * scheduler claims it; a reservation that moves has a new start, hence fresh
 * reminders. Rules:
 * - none for canceled conferences, conferences with `reminder` off, removed
 *   persons, or persons without an email;
 * - a person registered after a reminder's time does not get that reminder
 *   (they just had their confirmation);
 * - late (a scheduler was down): still sent while the reservation has not
 *   started, except that the 24 h reminder is skipped when the 2 h one is due
 *   too — one reminder, the nearer one; a queued reminder expires at the start.
 */
import type { Services } from '../context.js';
import { enqueueMail } from '../mail/queue.js';
import { reminderMail, type ReminderKind } from '../mail/templates/reminder.js';
import {
  claimReminder,
  findDueReminders,
  pruneReminderClaims,
  type DueReminder,
} from '../store/reminder.repository.js';

const hour = 3_600_000;

/** The reminders and their lead times; the nearer one first, since it supersedes the other. */
export const reminderSchedule: readonly { kind: ReminderKind; leadMs: number; unlessWithinMs: number | null }[] = [
  { kind: 'reminder-2h', leadMs: 2 * hour, unlessWithinMs: null },
  { kind: 'reminder-24h', leadMs: 24 * hour, unlessWithinMs: 2 * hour },
];

const pageSize = 200;

/** Queues every reminder due at `now` that no scheduler has claimed; returns how many this one queued. */
export async function sweepReminders(services: Services, now: number): Promise<number> {
  let queued = 0;
  // A day of margin, so a scheduler whose clock lags another's never finds a claim gone.
  await pruneReminderClaims(services.store.db, now - 24 * hour);
  for (const { kind, leadMs, unlessWithinMs } of reminderSchedule) {
    for (;;) {
      const due = await findDueReminders(services.store.db, { now, kind, leadMs, unlessWithinMs, limit: pageSize });
      for (const reminder of due) {
        if (await queueReminder(services, reminder, kind, now)) queued++;
      }
      // Claimed rows drop out of the next query, whoever claimed them.
      if (due.length < pageSize) break;
    }
  }
  return queued;
}

async function queueReminder(services: Services, r: DueReminder, kind: ReminderKind, now: number): Promise<boolean> {
  const slot = { uid: r.reservation_uid, start: r.start_at, end: r.end_at };
  const message = reminderMail(
    {
      conference: { uid: r.conference_uid, name: r.conference_name, did: r.did },
      person: { uid: r.person_uid, name: r.person_name, email: r.email, pin: r.pin },
      slots: [slot],
      timeZone: r.time_zone,
      publicUrl: services.config.publicUrl,
      mailFrom: services.config.mailFrom,
      now,
    },
    slot,
    kind,
  );
  const mailUid = services.random.uid();
  return services.store.db.transaction().execute(async (trx) => {
    const claimed = await claimReminder(trx, {
      reservation_uid: r.reservation_uid,
      person_uid: r.person_uid,
      kind,
      start_at: r.start_at,
      mail_uid: mailUid,
      created_at: now,
    });
    if (!claimed) return false;
    await enqueueMail(
      trx,
      services,
      {
        customerUid: r.customer_uid,
        conferenceUid: r.conference_uid,
        personUid: r.person_uid,
        kind,
        message,
        expiresAt: r.start_at,
      },
      mailUid,
    );
    return true;
  });
}
