/**
 * SQL for webhook endpoints. An endpoint is delivered by one worker at a time:
 * a worker leases it with one UPDATE … WHERE uid IN (SELECT … LIMIT n) — on
 * PostgreSQL the inner SELECT takes FOR UPDATE SKIP LOCKED, so concurrent
 * workers lease disjoint endpoints; SQLite runs one writer at a time. Every
 * later write of the worker names its lease token, so a worker whose lease
 * lapsed (or was cleared by a replay) changes nothing.
 */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Dialect } from './database.js';
import { fastAll, prepared } from './prepared.js';
import type { Database, WebhookEndpointTable } from './schema.js';

export type WebhookRow = Selectable<WebhookEndpointTable>;
export type NewWebhook = Insertable<WebhookEndpointTable>;
/** What updateWebhook may change. */
export type WebhookPatch = Pick<
  Updateable<WebhookEndpointTable>,
  | 'url'
  | 'secret'
  | 'event_types'
  | 'description'
  | 'status'
  | 'attempts'
  | 'next_attempt_at'
  | 'failing_since'
  | 'last_error'
  | 'disabled_at'
  | 'delivered_sequence'
  | 'locked_until'
  | 'lease_token'
>;

export async function insertWebhook(db: Kysely<Database>, row: NewWebhook): Promise<WebhookRow> {
  return db.insertInto('webhook_endpoints').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findWebhook(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
): Promise<WebhookRow | undefined> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .executeTakeFirst();
}

/** An endpoint by UID alone, for the operator's commands (which act for no customer). */
export async function findWebhookByUid(db: Kysely<Database>, uid: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('uid', '=', uid).executeTakeFirst();
}

/** A customer's endpoints, oldest first. */
export async function listWebhooks(db: Kysely<Database>, customerUid: string): Promise<WebhookRow[]> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('customer_uid', '=', customerUid)
    .orderBy('created_at')
    .orderBy('uid')
    .execute();
}

export async function countWebhooks(db: Kysely<Database>, customerUid: string): Promise<number> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('customer_uid', '=', customerUid)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateWebhook(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
  patch: WebhookPatch,
): Promise<WebhookRow | undefined> {
  return db
    .updateTable('webhook_endpoints')
    .set(patch)
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteWebhook(db: Kysely<Database>, customerUid: string, uid: string): Promise<void> {
  await db.deleteFrom('webhook_endpoints').where('uid', '=', uid).where('customer_uid', '=', customerUid).execute();
}

// The status is written into the statement, not bound: PostgreSQL's generic plan can then use the
// partial index `webhook_endpoints_due` (status = 'enabled'), so it keeps that plan. With the status as a
// parameter the generic plan was a sequential scan, costlier than a custom plan, and PostgreSQL planned
// the statement afresh at every run (77 µs of planning a call, once per committed addPerson group).
const anyDue = prepared(
  'any_due_webhook',
  "select 1 as due from webhook_endpoints where status = 'enabled' and next_attempt_at <= ? " +
    'and (locked_until is null or locked_until <= ?) limit 1',
);

/**
 * Whether any endpoint could be leased at `now` (the first three conditions
 * of `claimDueWebhooks`), as one prepared read: every commit that appends
 * events pokes delivery, and most databases have no endpoint due, so the
 * lease's UPDATE (a write, built by Kysely) runs only when one is.
 */
export async function anyWebhookDue(db: Kysely<Database>, now: number): Promise<boolean> {
  const rows =
    fastAll(db, anyDue, [now, now]) ??
    db
      .selectFrom('webhook_endpoints')
      .select('uid')
      .where('status', '=', 'enabled')
      .where('next_attempt_at', '<=', now)
      .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
      .limit(1)
      .execute();
  return (await rows).length > 0;
}

/**
 * Leases up to `limit` enabled endpoints that are due at `now` and have
 * events beyond their cursor, for `leaseMs`, under `token`.
 */
export async function claimDueWebhooks(
  db: Kysely<Database>,
  dialect: Dialect,
  now: number,
  leaseMs: number,
  token: string,
  limit: number,
): Promise<WebhookRow[]> {
  return db
    .updateTable('webhook_endpoints')
    .set({ locked_until: now + leaseMs, lease_token: token })
    .where('uid', 'in', (eb) => {
      const due = eb
        .selectFrom('webhook_endpoints as w')
        .select('w.uid')
        .where('w.status', '=', 'enabled')
        .where('w.next_attempt_at', '<=', now)
        .where((w) => w.or([w('w.locked_until', 'is', null), w('w.locked_until', '<=', now)]))
        .where((w) =>
          w.exists(
            w
              .selectFrom('events as e')
              .select('e.sequence')
              .whereRef('e.customer_uid', '=', 'w.customer_uid')
              .whereRef('e.sequence', '>', 'w.delivered_sequence'),
          ),
        )
        .orderBy('w.next_attempt_at')
        .limit(limit);
      return dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
    })
    .returningAll()
    .execute();
}

/** Writes `patch` if the worker still holds the lease `token`; false when it was lost. */
export async function updateLeasedWebhook(
  db: Kysely<Database>,
  uid: string,
  token: string,
  patch: WebhookPatch,
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set(patch)
    .where('uid', '=', uid)
    .where('lease_token', '=', token)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
