/**
 * SQL for idempotency keys (migration 009). The primary key (customer, key)
 * is the claim: an insert that finds the row taken inserts nothing, on both
 * dialects, so exactly one caller runs the command. Scoped by customer.
 */
import type { Kysely, Selectable } from 'kysely';
import pg from 'pg';
import { inTransaction, isPostgres, postgresPoolOf, sqliteExecutorOf } from './database.js';
import { aloneIfRefused, KeyedGroups } from './pg-groups.js';
import { fastAll, groupAll, groupRun, prepared } from './prepared.js';
import type { Database, IdempotencyKeyTable } from './schema.js';
import { keeperOfReads } from './sqlite-executor.js';

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
// A key's claim and its answer write only idempotency_keys: a conference read kept in the write group stays true.
keeperOfReads(claimQuery.sqlite);
keeperOfReads(completeQuery.sqlite);

// The same two writes for the calls of one customer that arrive together
// (see KeyedGroups): one statement and one COMMIT for the group.
const claimGroupQuery = prepared(
  'idempotency_claim_group',
  'insert into idempotency_keys (customer_uid, key, request_hash, state, code, message, value, locked_until, created_at, expires_at) ' +
    "select ?, c.key, c.request_hash, 'pending', null, '', null, c.locked_until, c.created_at, c.expires_at " +
    'from unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[]) with ordinality ' +
    '  as c(key, request_hash, locked_until, created_at, expires_at, ord) ' +
    'order by c.ord on conflict (customer_uid, key) do nothing returning key',
);
const completeGroupQuery = prepared(
  'idempotency_complete_group',
  "update idempotency_keys k set state = 'done', code = d.code, message = d.message, value = d.value " +
    'from unnest(?::text[], ?::int[], ?::text[], ?::text[]) as d(key, code, message, value) ' +
    'where k.customer_uid = ? and k.key = d.key',
);

// The key reads of one customer that arrive together: one statement for the group, one primary-key lookup a
// key (the lateral part with `offset 0` is run per key: with `key = any(...)` the planner, estimating few keys a
// customer, read all of the customer's keys by a bitmap scan). The keys as a JSON array, not a text[]: PostgreSQL
// estimates an array parameter by its length, so every run was planned afresh for its group's size, where
// json_array_elements_text is estimated alike for any value and the statement keeps one generic plan.
const findGroupQuery = prepared(
  'idempotency_find_group',
  'select k.* from json_array_elements_text(?::json) as w(key) ' +
    'cross join lateral (select * from idempotency_keys x where x.customer_uid = ? and x.key = w.key offset 0) k',
);

/** An answer as a key's row keeps it. */
export interface StoredAnswer {
  code: number;
  message: string;
  value: string | null;
}

type CompleteItem = { key: string; answer: StoredAnswer };

/** Per pool: the grouped claims and completions, by customer. */
const groupsByPool = new WeakMap<
  pg.Pool,
  {
    claims: KeyedGroups<IdempotencyClaim, boolean>;
    completions: KeyedGroups<CompleteItem, undefined>;
    finds: KeyedGroups<string, IdempotencyKeyRow | undefined>;
  }
>();

function groupsOf(pool: pg.Pool) {
  let groups = groupsByPool.get(pool);
  if (!groups) {
    const run = (query: { name: string; postgres: string }, values: unknown[]) =>
      pool.query<{ key: string }>({ name: query.name, text: query.postgres, values });
    groups = {
      claims: new KeyedGroups(
        (customer, claims) =>
          aloneIfRefused(
            async () => {
              const { rows } = await run(claimGroupQuery, [
                customer,
                claims.map((c) => c.key),
                claims.map((c) => c.requestHash),
                claims.map((c) => c.lockedUntil),
                claims.map((c) => c.now),
                claims.map((c) => c.expiresAt),
              ]);
              // A key twice in one group is claimed by its first caller, as two statements in a row would.
              const claimed = new Set(rows.map((r) => r.key));
              return claims.map((c) => claimed.delete(c.key));
            },
            claims,
            async (claim) => (await run(claimQuery, claimValues(claim))).rows.length === 1,
          ),
        256,
      ),
      completions: new KeyedGroups(
        (customer, items) =>
          aloneIfRefused(
            async () => {
              await run(completeGroupQuery, [
                items.map((i) => i.key),
                items.map((i) => i.answer.code),
                items.map((i) => i.answer.message),
                items.map((i) => i.answer.value),
                customer,
              ]);
              return items.map(() => undefined);
            },
            items,
            async (item) => {
              await run(completeQuery, completeValues(customer, item.key, item.answer));
              return undefined;
            },
          ),
        256,
      ),
      // Reads: a group the server refuses (text it cannot take) is read key by key, so only that one fails.
      finds: new KeyedGroups(
        (customer, keys) =>
          aloneIfRefused(
            async () => {
              const { rows } = await pool.query<IdempotencyKeyRow>({
                name: findGroupQuery.name,
                text: findGroupQuery.postgres,
                values: [JSON.stringify(keys), customer],
              });
              const byKey = new Map(rows.map((r) => [r.key, r]));
              // Each caller its own object.
              return keys.map((key) => {
                const row = byKey.get(key);
                return row && { ...row };
              });
            },
            keys,
            async (key) =>
              (
                await pool.query<IdempotencyKeyRow>({
                  name: findQuery.name,
                  text: findQuery.postgres,
                  values: [customer, key],
                })
              ).rows[0],
          ),
        256,
      ),
    };
    groupsByPool.set(pool, groups);
  }
  return groups;
}

function claimValues(claim: IdempotencyClaim): unknown[] {
  return [claim.customerUid, claim.key, claim.requestHash, claim.lockedUntil, claim.now, claim.expiresAt];
}

function completeValues(customerUid: string, key: string, answer: CompleteItem['answer']): unknown[] {
  return [answer.code, answer.message, answer.value, customerUid, key];
}

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

/**
 * Inserts a pending row for the key; false when the key already has a row.
 * On PostgreSQL grouped with the same customer's claims that arrive with it
 * (one statement, one COMMIT), each committed before it answers.
 */
export async function insertIdempotencyClaim(db: Kysely<Database>, claim: IdempotencyClaim): Promise<boolean> {
  const pool = postgresPoolOf(db);
  if (pool) return groupsOf(pool).claims.add(claim.customerUid, claim);
  const claimed = isPostgres(db) ? fastAll(db, claimQuery, claimValues(claim)) : undefined;
  if (claimed) return (await claimed).length === 1;
  // SQLite: a unit of the turn's write group, so it takes the cluster's write token and shares its COMMIT,
  // instead of meeting the other workers' transactions on SQLite's lock.
  const result = await inTransaction(db, (trx) =>
    trx
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
      .executeTakeFirst(),
  );
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** What `claimedInOneUnit`'s work decided: the answer, and whether it is kept (stored with the claim). */
export interface UnitOutcome<A> {
  answer: A;
  /** The answer to store; undefined for one that is not kept (the claim and the call are rolled back). */
  stored?: { code: number; message: string; value: string | null };
}

/** The unit of an answer that is not kept rolls back: its error carries the answer out. */
class NotKept<A> extends Error {
  constructor(readonly answer: A) {
    super('not kept');
  }
}

/**
 * SQLite: a fresh key's claim, the call and its stored answer in ONE unit of
 * a write group (one savepoint, one COMMIT) instead of three groups. The
 * claim is inserted first, in the unit; when the key already has a row
 * (a stored answer, a call in flight, another body, an expired key), the
 * unit writes nothing and this answers `'taken'`: the caller goes the
 * usual way (read the row, wait, take over). Else `work` runs the call on
 * the unit's transaction (the domain's own transactions become savepoints
 * inside it, see `inTransaction`) and the answer it keeps is stored in the
 * same unit. An answer not kept (a -3) and a failure of `work` roll the
 * unit back, claim included; a failed COMMIT loses claim, call and answer
 * together. Resolves only after the COMMIT. Undefined on PostgreSQL (not
 * called: see `claimsInOneUnit`).
 */
export async function claimedInOneUnit<A>(
  db: Kysely<Database>,
  claim: IdempotencyClaim,
  work: (trx: Kysely<Database>) => Promise<UnitOutcome<A>>,
): Promise<{ answer: A } | 'taken'> {
  try {
    return await inTransaction(db, async (trx) => {
      const claimed = groupAll<{ key: string }>(trx, claimQuery, claimValues(claim));
      if (claimed === undefined) throw new Error('claimedInOneUnit: SQLite store only');
      if (claimed.length === 0) return 'taken' as const;
      const outcome = await work(trx);
      if (!outcome.stored) throw new NotKept(outcome.answer);
      groupRun(trx, completeQuery, completeValues(claim.customerUid, claim.key, outcome.stored));
      return { answer: outcome.answer };
    });
  } catch (error) {
    if (error instanceof NotKept) return { answer: error.answer as A };
    throw error;
  }
}

/**
 * PostgreSQL: an Idempotency-Key's claim that a call's one write carries —
 * the key's row goes in, done, with the answer `storedFor` gives for the
 * call's result as presented, in the same statement (one COMMIT) as the
 * call's write, or not at all. The store sets `committed` once that
 * statement committed with the key's row. A call that cannot write it so
 * (its write is not the one statement, or that statement wrote nothing)
 * throws `KeyNotClaimed` before it writes anything: the caller then claims
 * the key alone and runs the call again under the claim.
 */
export interface KeyClaimInWrite {
  readonly claim: IdempotencyClaim;
  /** The answer to store for a call that succeeds with `presented` (the protocol's encoding of its result). */
  readonly storedFor: (presented: unknown) => StoredAnswer;
  committed: boolean;
}

/** Thrown by a call that carried a key's claim but wrote nothing (see KeyClaimInWrite). */
export class KeyNotClaimed extends Error {
  constructor() {
    super("the idempotency key was not claimed by the call's write");
  }
}

/** True when a call's one write can carry its key's claim (PostgreSQL: see KeyClaimInWrite). */
export function claimsInItsWrite(db: Kysely<Database>): boolean {
  return postgresPoolOf(db) !== undefined;
}

/** True when `claimedInOneUnit` serves this store (SQLite, whose writes are units of a write group). */
export function claimsInOneUnit(db: Kysely<Database>): boolean {
  return sqliteExecutorOf(db) !== undefined;
}

/** The key's row, if any. */
export async function findIdempotencyKey(
  db: Kysely<Database>,
  customerUid: string,
  key: string,
): Promise<IdempotencyKeyRow | undefined> {
  // PostgreSQL: grouped with the same customer's key reads that arrive with it (one statement).
  const pool = postgresPoolOf(db);
  if (pool) return groupsOf(pool).finds.add(customerUid, key);
  // SQLite (and a PostgreSQL transaction): one prepared statement (SQLite: a read of the connection, no write group).
  const rows = fastAll<IdempotencyKeyRow>(db, findQuery, [customerUid, key]);
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

/** Stores the finished call's answer on its claim (on PostgreSQL grouped as claims are), committed before it returns. */
export async function completeIdempotencyKey(
  db: Kysely<Database>,
  customerUid: string,
  key: string,
  answer: { code: number; message: string; value: string | null },
): Promise<void> {
  const pool = postgresPoolOf(db);
  if (pool) {
    await groupsOf(pool).completions.add(customerUid, { key, answer });
    return;
  }
  const done = isPostgres(db) ? fastAll(db, completeQuery, completeValues(customerUid, key, answer)) : undefined;
  if (done) {
    await done;
    return;
  }
  // SQLite: in the turn's write group, as the claim is.
  await inTransaction(db, (trx) =>
    trx
      .updateTable('idempotency_keys')
      .set({ state: 'done', code: answer.code, message: answer.message, value: answer.value })
      .where('customer_uid', '=', customerUid)
      .where('key', '=', key)
      .execute(),
  );
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
