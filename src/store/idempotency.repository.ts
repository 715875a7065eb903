/**
 * SQL for idempotency keys (migration 009). The primary key (customer, key)
 * is the claim: an insert that finds the row taken inserts nothing, on both
 * dialects, so exactly one caller runs the command. Scoped by customer.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, IdempotencyKeyTable } from './schema.js';

export type IdempotencyKeyRow = Selectable<IdempotencyKeyTable>;

/** A new claim: the call's hash, its lease and its expiry. */
export interface IdempotencyClaim {
  customerUid: string;
  key: string;
  requestHash: string;
  now: number;
  lockedUntil: number;
  expiresAt: number;
}

/** Inserts a pending row for the key; false when the key already has a row. */
export async function insertIdempotencyClaim(db: Kysely<Database>, claim: IdempotencyClaim): Promise<boolean> {
  const result = await db
    .insertInto('idempotency_keys')
    .values({
      customer_uid: claim.customerUid,
      key: claim.key,
      request_hash: claim.requestHash,
      state: 'pending',
      code: null,
      message: '',
      value: null,
      locked_until: claim.lockedUntil,
      created_at: claim.now,
      expires_at: claim.expiresAt,
    })
    .onConflict((oc) => oc.columns(['customer_uid', 'key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** The key's row, if any. */
export async function findIdempotencyKey(
  db: Kysely<Database>,
  customerUid: string,
  key: string,
): Promise<IdempotencyKeyRow | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('customer_uid', '=', customerUid)
    .where('key', '=', key)
    .executeTakeFirst();
}

/**
 * Takes over a pending claim whose lease lapsed (its runner died), if no one
 * else did first: true when this caller now holds it.
 */
export async function takeOverIdempotencyClaim(
  db: Kysely<Database>,
  customerUid: string,
  key: string,
  lapsedLease: number,
  lockedUntil: number,
): Promise<boolean> {
  const result = await db
    .updateTable('idempotency_keys')
    .set({ locked_until: lockedUntil })
    .where('customer_uid', '=', customerUid)
    .where('key', '=', key)
    .where('state', '=', 'pending')
    .where('locked_until', '=', lapsedLease)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Stores the finished call's answer on its claim. */
export async function completeIdempotencyKey(
  db: Kysely<Database>,
  customerUid: string,
  key: string,
  answer: { code: number; message: string; value: string | null },
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', code: answer.code, message: answer.message, value: answer.value })
    .where('customer_uid', '=', customerUid)
    .where('key', '=', key)
    .execute();
}

/** Drops a pending claim (the call failed in a way worth retrying), so a repeat runs it afresh. */
export async function releaseIdempotencyClaim(db: Kysely<Database>, customerUid: string, key: string): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('customer_uid', '=', customerUid)
    .where('key', '=', key)
    .where('state', '=', 'pending')
    .execute();
}

/** Deletes the key's row if it has expired at `now` (so the key can be claimed afresh). */
export async function deleteExpiredIdempotencyKey(
  db: Kysely<Database>,
  customerUid: string,
  key: string,
  now: number,
): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('customer_uid', '=', customerUid)
    .where('key', '=', key)
    .where('expires_at', '<=', now)
    .execute();
}

/** Deletes every expired key, across customers (the job runner's sweep); returns how many. */
export async function sweepExpiredIdempotencyKeys(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
