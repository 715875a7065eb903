/**
 * SQL for the mail queue. Delivery claims rows with one UPDATE … WHERE uid IN
 * (SELECT … LIMIT n) — on PostgreSQL the inner SELECT takes FOR UPDATE SKIP
 * LOCKED, so concurrent workers claim disjoint rows; SQLite runs one writer
 * at a time. A claim is a lease: a worker that dies mid-send leaves the row
 * `sending` until `locked_until`, then any worker takes it over.
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Dialect } from './database.js';
import type { Database, MailQueueTable, MailStatus } from './schema.js';

export type MailRow = Selectable<MailQueueTable>;
export type NewMail = Insertable<MailQueueTable>;

export async function insertMail(db: Kysely<Database>, row: NewMail): Promise<void> {
  await db.insertInto('mail_queue').values(row).execute();
}

/** Leases up to `limit` messages that are due at `now` (queued and due, or sending with a lapsed lease). */
export async function claimDueMail(
  db: Kysely<Database>,
  dialect: Dialect,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<MailRow[]> {
  return db
    .updateTable('mail_queue')
    .set((eb) => ({ status: 'sending', locked_until: now + leaseMs, attempts: eb('attempts', '+', 1) }))
    .where('uid', 'in', (eb) => {
      const due = eb
        .selectFrom('mail_queue')
        .select('uid')
        .where((w) =>
          w.or([
            w.and([w('status', '=', 'queued'), w('next_attempt_at', '<=', now)]),
            w.and([w('status', '=', 'sending'), w('locked_until', '<=', now)]),
          ]),
        )
        .orderBy('next_attempt_at')
        .limit(limit);
      return dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
    })
    .returningAll()
    .execute();
}

/**
 * Records the outcome of one attempt, if this worker still holds the lease
 * (`attempts` is the count its claim set). Returns false when the lease was lost.
 */
export async function finishAttempt(
  db: Kysely<Database>,
  uid: string,
  attempts: number,
  outcome:
    | { status: 'sent'; at: number; messageId: string }
    | { status: 'queued'; nextAttemptAt: number; error: string }
    | { status: Extract<MailStatus, 'expired' | 'canceled' | 'failed'>; reason: string },
): Promise<boolean> {
  const patch =
    outcome.status === 'sent'
      ? { status: outcome.status, sent_at: outcome.at, message_id: outcome.messageId, locked_until: null }
      : outcome.status === 'queued'
        ? {
            status: outcome.status,
            next_attempt_at: outcome.nextAttemptAt,
            last_error: outcome.error,
            locked_until: null,
          }
        : { status: outcome.status, last_error: outcome.reason, locked_until: null };
  const result = await db
    .updateTable('mail_queue')
    .set(patch)
    .where('uid', '=', uid)
    .where('status', '=', 'sending')
    .where('attempts', '=', attempts)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The messages of a customer (newest last), optionally to one recipient — for operators and tests. */
export async function listMail(
  db: Kysely<Database>,
  customerUid: string,
  filter: { recipient?: string; kind?: string } = {},
): Promise<MailRow[]> {
  let query = db.selectFrom('mail_queue').selectAll().where('customer_uid', '=', customerUid);
  if (filter.recipient !== undefined) query = query.where('recipient', '=', filter.recipient);
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  return query.orderBy('created_at').orderBy('uid').execute();
}

/**
 * Whether a queued reminder is still true: its person still exists, at the address it was
 * written to, on a conference that is live and wants reminders, with a reservation at the
 * start it announces (a reminder expires at that start). A moved reservation gets fresh
 * reminders from the sweep; the one written for the old start must not go out after it
 * (e.g. while SMTP was failing), nor one written to an address since changed.
 */
export async function isReminderStillWanted(
  db: Kysely<Database>,
  reminder: { customerUid: string; personUid: string; to: string; startAt: number },
): Promise<boolean> {
  const row = await db
    .selectFrom('persons')
    .innerJoin('conferences', 'conferences.uid', 'persons.conference_uid')
    .innerJoin('reservations', 'reservations.conference_uid', 'persons.conference_uid')
    .select('persons.uid')
    .where('persons.uid', '=', reminder.personUid)
    .where('persons.customer_uid', '=', reminder.customerUid)
    .where('persons.email', '=', reminder.to)
    .where('persons.email', '<>', '')
    .where('conferences.canceled_at', 'is', null)
    .where('conferences.reminder', '=', 1)
    .where('reservations.start_at', '=', reminder.startAt)
    .executeTakeFirst();
  return row !== undefined;
}

/** When a message of `kind` was last queued for a person, or null. */
export async function lastMailQueuedAt(
  db: Kysely<Database>,
  customerUid: string,
  personUid: string,
  kind: string,
): Promise<number | null> {
  const row = await db
    .selectFrom('mail_queue')
    .select('created_at')
    .where('person_uid', '=', personUid)
    .where('customer_uid', '=', customerUid)
    .where('kind', '=', kind)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.created_at ?? null;
}

/** The body a message keeps once retention has removed it (the envelope — recipient, subject, status — stays). */
export const strippedBody = '';

/**
 * Removes the bodies (PINs included) of finished messages — sent, failed,
 * expired, canceled — that finished before `cutoff`. Returns how many.
 */
export async function stripFinishedMail(db: Kysely<Database>, cutoff: number): Promise<number> {
  const result = await db
    .updateTable('mail_queue')
    .set({ message: strippedBody })
    .where('status', 'in', ['sent', 'failed', 'expired', 'canceled'])
    .where((eb) => eb(eb.fn.coalesce('sent_at', 'created_at'), '<', cutoff))
    .where('message', '<>', strippedBody)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The queue for an operator, newest first: every customer's, or one's, optionally of one status. */
export async function listQueue(
  db: Kysely<Database>,
  filter: { customerUid?: string; status?: MailStatus; limit: number },
): Promise<MailRow[]> {
  let query = db.selectFrom('mail_queue').selectAll();
  if (filter.customerUid !== undefined) query = query.where('customer_uid', '=', filter.customerUid);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  return query.orderBy('created_at', 'desc').orderBy('uid', 'desc').limit(filter.limit).execute();
}

/** One message by UID (operators see every customer's). */
export async function findMail(db: Kysely<Database>, uid: string): Promise<MailRow | undefined> {
  return db.selectFrom('mail_queue').selectAll().where('uid', '=', uid).executeTakeFirst();
}

/**
 * Queues a message again, due now, its retry age restarted; not while a
 * worker holds it, nor once its body is gone. Returns false when refused.
 */
export async function requeueMail(db: Kysely<Database>, uid: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('mail_queue')
    .set({ status: 'queued', next_attempt_at: now, retry_since: now, locked_until: null })
    .where('uid', '=', uid)
    .where('status', '<>', 'sending')
    .where('message', '<>', strippedBody)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
