/** SQL for customers and their API keys. */
import { fastAllCached, prepared } from './prepared.js';
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

export async function findCustomer(db: Kysely<Database>, uid: string): Promise<CustomerRow | undefined> {
  return (
    fastAllCached<CustomerRow>(db, customerByUid, [uid], [uid])?.then((rows) => rows[0]) ??
    db.selectFrom('customers').selectAll().where('uid', '=', uid).executeTakeFirst()
  );
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

export async function findLiveKeyHashes(db: Kysely<Database>, customerUid: string): Promise<string[]> {
  const rows = await (fastAllCached<{ key_hash: string }>(db, liveKeyHashes, [customerUid], [customerUid]) ??
    db
      .selectFrom('api_keys')
      .select('key_hash')
      .where('customer_uid', '=', customerUid)
      .where('revoked_at', 'is', null)
      .execute());
  return rows.map((r) => r.key_hash);
}

/** The hashes of a customer's live keys and its row (PostgreSQL: in one statement). */
export interface Credentials {
  keyHashes: string[];
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
 * reads the hashes alone.
 */
export async function findCredentials(db: Kysely<Database>, customerUid: string): Promise<Credentials> {
  const pool = postgresPoolOf(db);
  if (pool) {
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
  return { keyHashes: await findLiveKeyHashes(db, customerUid), customer: undefined };
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
