/**
 * Hardening: throttle counters shared by every process on one database (the
 * key-failure throttle, the registration limit, the bridge's wrong-PIN
 * limits); the mail queue's retry age and an index for retention by age.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const instant = dialect === 'postgres' ? 'bigint' : 'integer';
  // One row per (throttle, key): a fixed window opened by its first hit.
  await db.schema
    .createTable('throttle_counters')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', instant, (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('expires_at', instant, (c) => c.notNull())
    .addPrimaryKeyConstraint('throttle_counters_pk', ['scope', 'key'])
    .execute();
  await db.schema.createIndex('throttle_counters_expiry').on('throttle_counters').column('expires_at').execute();
  // `baton mail retry` restarts a message's retry age without losing when it was first queued.
  await db.schema.alterTable('mail_queue').addColumn('retry_since', instant).execute();
  // Retention strips sent bodies and gives up on old failures by age.
  await db.schema.createIndex('mail_queue_created').on('mail_queue').columns(['status', 'created_at']).execute();
}
