/** SQL for customers and their API keys. */
import { cachedRows, prepared } from './prepared.js';
import { andThen, type MaybePromise } from '../maybe-promise.js';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { CustomerTable, Database } from './schema.js';
import { postgresPoolOf } from './database.js';

export type CustomerRow = Selectable<CustomerTable>;
export type NewCustomer = Insertable<CustomerTable>;
export type CustomerPatch = Updateable<CustomerTable>;

export async function insertCustomer(db: Kysely<Database>, row: NewCustomer): Promise<CustomerRow> {
  return db.insertInto('customers').values(row).returningAll().executeTakeFirstOrThrow();
}

const customerByUid = prepared('customer_by_uid', 'select * from customers where uid = ?');

/** The customer `uid`; on SQLite from the exact cache, in the same turn when it holds the row. */
export function findCustomer(db: Kysely<Database>, uid: string): MaybePromise<CustomerRow | undefined> {
  const rows = cachedRows<CustomerRow>(db, customerByUid, [uid], [uid]);
  if (rows === undefined) return db.selectFrom('customers').selectAll().where('uid', '=', uid).executeTakeFirst();
  return andThen(rows, firstRow);
}

function firstRow<R>(rows: readonly R[]): R | undefined {
  return rows[0];
}

export async function countCustomers(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listCustomers(db: Kysely<Database>): Promise<CustomerRow[]> {
  return db.selectFrom('customers').selectAll().orderBy('id').execute();
}

export async function updateCustomer(
  db: Kysely<Database>,
  uid: string,
  patch: CustomerPatch,
): Promise<CustomerRow | undefined> {
  return db.updateTable('customers').set(patch).where('uid', '=', uid).returningAll().executeTakeFirst();
}

/** The hashes of a customer's live keys, with the customer row; empty for an unknown customer. */
const liveKeyHashes = prepared(
  'live_key_hashes',
  'select key_hash from api_keys where customer_uid = ? and revoked_at is null',
);

/** The hashes of a customer's live keys; on SQLite from the exact cache, in the same turn when it holds them. */
export function findLiveKeyHashes(db: Kysely<Database>, customerUid: string): MaybePromise<readonly string[]> {
  const rows =
    cachedRows<{ key_hash: string }>(db, liveKeyHashes, [customerUid], [customerUid]) ??
    db
      .selectFrom('api_keys')
      .select('key_hash')
      .where('customer_uid', '=', customerUid)
      .where('revoked_at', 'is', null)
      .execute();
  return andThen(rows, keyHashesOf);
}

/** The hashes of key rows; the same array for the same (frozen, cached) rows, built once. */
function keyHashesOf(rows: readonly { key_hash: string }[]): readonly string[] {
  if (!Object.isFrozen(rows)) return rows.map((r) => r.key_hash);
  let hashes = keyHashesByRows.get(rows);
  if (hashes === undefined) keyHashesByRows.set(rows, (hashes = Object.freeze(rows.map((r) => r.key_hash))));
  return hashes;
}

const keyHashesByRows = new WeakMap<readonly object[], readonly string[]>();

/** The hashes of a customer's live keys and its row (PostgreSQL: in one statement). */
export interface Credentials {
  keyHashes: readonly string[];
  /**
   * The customer row when it was read with the keys (PostgreSQL); undefined
   * for an unknown customer, and on SQLite, where the caller reads it (a
   * cached statement) only once a key matched.
   */
  customer: CustomerRow | undefined;
}

const credentials = prepared(
  'credentials',
  `select c.*, array(select k.key_hash from api_keys k where k.customer_uid = c.uid and k.revoked_at is null)
     as baton_key_hashes
   from customers c where c.uid = ?`,
);

/**
 * What authentication compares: the live key hashes of `customerUid`, with
 * the customer row. PostgreSQL answers both in one round trip (a key of an
 * unknown customer cannot exist: api_keys references customers); SQLite
 * reads the hashes alone (from the exact cache: in the same turn when it
 * holds them).
 */
export function findCredentials(db: Kysely<Database>, customerUid: string): MaybePromise<Credentials> {
  const pool = postgresPoolOf(db);
  if (pool) return credentialsOnPostgres(pool, customerUid);
  return andThen(findLiveKeyHashes(db, customerUid), (keyHashes) => ({ keyHashes, customer: undefined }));
}

async function credentialsOnPostgres(
  pool: NonNullable<ReturnType<typeof postgresPoolOf>>,
  customerUid: string,
): Promise<Credentials> {
  const result = await pool.query<CustomerRow & { baton_key_hashes: string[] }>({
    name: credentials.name,
    text: credentials.postgres,
    values: [customerUid],
  });
  const found = result.rows[0];
  if (!found) return { keyHashes: [], customer: undefined };
  const { baton_key_hashes, ...customer } = found;
  return { keyHashes: baton_key_hashes, customer };
}

export async function insertApiKey(
  db: Kysely<Database>,
  row: { customer_uid: string; key_hash: string; key_prefix: string; created_at: number },
): Promise<number> {
  const inserted = await db.insertInto('api_keys').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

export interface ApiKeyListing {
  id: number;
  key_prefix: string;
  created_at: number;
  revoked_at: number | null;
}

export async function listApiKeys(db: Kysely<Database>, customerUid: string): Promise<ApiKeyListing[]> {
  return db
    .selectFrom('api_keys')
    .select(['id', 'key_prefix', 'created_at', 'revoked_at'])
    .where('customer_uid', '=', customerUid)
    .orderBy('id')
    .execute();
}

/** Which of a customer's keys to revoke: by the key's hash, or by its listing id. */
export type ApiKeySelector = { keyHash: string } | { id: number };

/** Revokes the customer's live keys that `which` names; returns how many were revoked. */
export async function revokeApiKeys(
  db: Kysely<Database>,
  customerUid: string,
  which: ApiKeySelector,
  at: number,
): Promise<number> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('customer_uid', '=', customerUid)
    .where((eb) => ('id' in which ? eb('id', '=', which.id) : eb('key_hash', '=', which.keyHash)))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Every distinct customer DID: the bridge matches a dialed number against these. */
export async function listCustomerDids(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('customers').select('did').distinct().execute();
  return rows.map((r) => r.did);
}
