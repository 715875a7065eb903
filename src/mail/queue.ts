/**
 * The mail queue: every message is first written to the database (in the
 * transaction of the change that causes it), then delivered by a worker with
 * retries and exponential backoff. Nothing is lost: a failed attempt stays
 * queued with its error and attempt count; a worker that dies between claim
 * and send leaves a lease that lapses, and the message is sent by the next.
 * Delivery is therefore at least once; the outbox transport names files by
 * message, so there a retry overwrites rather than duplicates.
 */
import type { Kysely } from 'kysely';
import type { Services } from '../context.js';
import type { Database } from '../store/schema.js';
import {
  claimDueMail,
  finishAttempt,
  insertMail,
  isReminderStillWanted,
  stripFinishedMail,
  type MailRow,
} from '../store/mail.repository.js';
import type { MailMessage } from './message.js';
import type { MailTransport } from './transport.js';
import { redactText } from '../log-redaction.js';

/** What a message is about; reminders are re-checked before they are sent. */
export type MailKind =
  | 'confirmation'
  | 'reminder-24h'
  | 'reminder-2h'
  | 'invitation-update'
  | 'invitation-cancel'
  | 'password-reset'
  | 'webhook-disabled';

/** How long a claimed message is reserved for the worker that claimed it. */
export const leaseMs = 5 * 60_000;
/**
 * First retry after a minute, doubling up to an hour, then hourly — until it
 * goes through or MAIL_MAX_AGE_HOURS have passed since it was queued; then it
 * is marked `failed` (an operator can `baton mail retry` it).
 */
export const firstRetryMs = 60_000;
export const maxRetryMs = 60 * 60_000;

/** Delay before the next attempt, after `attempts` failed ones. */
export function retryDelay(attempts: number): number {
  return Math.min(maxRetryMs, firstRetryMs * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
}

export interface QueuedMail {
  customerUid: string;
  conferenceUid?: string;
  personUid?: string;
  kind: MailKind;
  message: MailMessage;
  /** Drop the message unsent once this instant has passed (a reminder after its start). */
  expiresAt?: number;
}

/** Queues a message inside the caller's transaction; returns its UID. */
export async function enqueueMail(
  db: Kysely<Database>,
  services: Pick<Services, 'random' | 'clock'>,
  mail: QueuedMail,
  uid: string = services.random.uid(),
): Promise<string> {
  const now = services.clock.now();
  await insertMail(db, {
    uid,
    customer_uid: mail.customerUid,
    conference_uid: mail.conferenceUid ?? null,
    person_uid: mail.personUid ?? null,
    kind: mail.kind,
    recipient: mail.message.to,
    subject: mail.message.subject.slice(0, 998),
    message: JSON.stringify(mail.message),
    status: 'queued',
    next_attempt_at: now,
    expires_at: mail.expiresAt ?? null,
    created_at: now,
  });
  return uid;
}

export interface DeliveryReport {
  sent: number;
  /** Attempts that failed (the message stays queued, or is given up as `failed`). */
  failed: number;
  dropped: number;
  /** Of `sent`, how many were reminders. */
  remindersSent: number;
}

/**
 * Retention (MAIL_RETENTION_DAYS): finished messages older than that lose
 * their bodies, which hold PINs and personal details; the rest of the row
 * stays for the record. Returns how many were stripped.
 */
export async function applyMailRetention(services: Services, now: number): Promise<number> {
  return stripFinishedMail(services.store.db, now - services.config.mailRetentionDays * 86_400_000);
}

/** Where a failed attempt is reported (pino's shape); the runner passes the server's logger. */
export interface MailLog {
  warn(details: object, message: string): void;
}

/**
 * Claims the messages due at `now` and sends them, one batch after another,
 * until none is due. Every failed attempt is logged at warn (`log`), so an
 * operator sees a refusing or unreachable SMTP server before anyone misses a
 * message.
 */
export async function deliverDueMail(
  services: Services,
  transport: MailTransport,
  now: number,
  batch = 20,
  log?: MailLog,
): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, failed: 0, dropped: 0, remindersSent: 0 };
  for (;;) {
    const claimed = await claimDueMail(services.store.db, services.store.dialect, now, leaseMs, batch);
    for (const row of claimed) await deliverOne(services, transport, row, now, report, log);
    if (claimed.length < batch) return report;
  }
}

async function deliverOne(
  services: Services,
  transport: MailTransport,
  row: MailRow,
  now: number,
  report: DeliveryReport,
  log: MailLog | undefined,
): Promise<void> {
  const { db } = services.store;
  if (row.expires_at !== null && row.expires_at <= now) {
    await finishAttempt(db, row.uid, row.attempts, { status: 'expired', reason: 'its reservation has started' });
    report.dropped++;
    return;
  }
  const isReminder = row.kind === 'reminder-24h' || row.kind === 'reminder-2h';
  const message = JSON.parse(row.message) as MailMessage;
  if (
    isReminder &&
    row.person_uid &&
    row.expires_at !== null &&
    !(await isReminderStillWanted(db, {
      customerUid: row.customer_uid,
      personUid: row.person_uid,
      to: message.to,
      startAt: row.expires_at,
    }))
  ) {
    await finishAttempt(db, row.uid, row.attempts, {
      status: 'canceled',
      reason:
        'person removed or readdressed, reservation moved or removed, conference canceled or reminders turned off',
    });
    report.dropped++;
    return;
  }
  try {
    const messageId = await transport.send(message, { id: row.uid, createdAt: row.created_at, kind: row.kind });
    await finishAttempt(db, row.uid, row.attempts, { status: 'sent', at: services.clock.now(), messageId });
    report.sent++;
    if (isReminder) report.remindersSent++;
  } catch (error) {
    const text = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    const age = now - (row.retry_since ?? row.created_at);
    const giveUp = age >= services.config.mailMaxAgeHours * 3_600_000;
    // The message's UID and kind identify it (`baton mail` shows the rest); neither the body (PINs,
    // password links) nor the recipient, nor the transport's settings (SMTP_URL's password), is logged.
    log?.warn(
      {
        mail: row.uid,
        kind: row.kind,
        attempt: row.attempts,
        transport: transport.kind,
        error: redactText(text),
        ...(giveUp ? { givenUp: true } : { retryInMs: retryDelay(row.attempts) }),
      },
      giveUp ? 'mail delivery failed; given up' : 'mail delivery failed; will retry',
    );
    await finishAttempt(
      db,
      row.uid,
      row.attempts,
      giveUp
        ? { status: 'failed', reason: text }
        : { status: 'queued', nextAttemptAt: now + retryDelay(row.attempts), error: text },
    );
    report.failed++;
  }
}
