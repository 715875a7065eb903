/**
 * SQL for idempotency keys (migration 009). The primary key (customer, key)
 * is the claim: an insert that finds the row taken inserts nothing, on both
 * dialects, so exactly one caller runs the command. Scoped by customer.
 */
import type { Kysely, Selectable } from 'kysely';
import { isPostgres } from './database.js';
import { fastAll, prepared } from './prepared.js';
import type { Database, IdempotencyKeyTable } from './schema.js';

// PostgreSQL runs the hot three (claim, read, complete) as named statements
// on the pool: parsed and planned once per connection. SQLite's writes go
// through Kysely and so through the executor's write group.
const claimQuery = prepared(
  'idempotency_claim',
  'insert into idempotency_keys (customer_uid, key, request_hash, state, code, message, value, locked_until, created_at, expires_at) ' +
    "values (?, ?, ?, 'pending', null, '', null, ?, ?, ?) on conflict (customer_uid, key) do nothing returning key",
);
const findQuery = prepared('idempotency_find', 'select * from idempotency_keys where customer_uid = ? and key = ?');
const completeQuery = prepared(
  'idempotency_complete',
  "update idempotency_keys set state = 'done', code = ?, message = ?, value = ? where customer_uid = ? and key = ?",
);

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
  const claimed = isPostgres(db)
    ? fastAll(db, claimQuery, [
        claim.customerUid,
        claim.key,
        claim.requestHash,
        claim.lockedUntil,
        claim.now,
        claim.expiresAt,
      ])
    : undefined;
  if (claimed) return (await claimed).length === 1;
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
  const rows = isPostgres(db) ? fastAll<IdempotencyKeyRow>(db, findQuery, [customerUid, key]) : undefined;
  if (rows) return (await rows)[0];
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
  const done = isPostgres(db)
    ? fastAll(db, completeQuery, [answer.code, answer.message, answer.value, customerUid, key])
    : undefined;
  if (done) {
    await done;
    return;
  }
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
