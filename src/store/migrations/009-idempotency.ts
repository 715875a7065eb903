/**
 * Idempotent commands: one row per (customer, Idempotency-Key) holding the
 * hash of the call it was first used with and, once that call finished, its
 * answer. The primary key is the claim, so any number of processes on one
 * database run a keyed command once.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const instant = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('customer_uid', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('code', 'integer')
    .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('value', 'text')
    .addColumn('locked_until', instant, (c) => c.notNull())
    .addColumn('created_at', instant, (c) => c.notNull())
    .addColumn('expires_at', instant, (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['customer_uid', 'key'])
    .execute();
  // The job runner's sweep deletes by age.
  await db.schema.createIndex('idempotency_keys_expires').on('idempotency_keys').column('expires_at').execute();
}
