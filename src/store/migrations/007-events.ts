/**
 * The event log and webhook endpoints. Every change appends events with a
 * per-customer sequence number taken from `event_counters` in the change's own
 * transaction: the counter row stays locked until commit, so a customer's
 * events become visible in sequence order and a rolled-back change leaves no
 * gap. Each webhook endpoint keeps its own cursor (`delivered_sequence`) and a
 * lease, so any number of processes deliver an endpoint's events one at a time.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const instant = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('event_counters')
    .addColumn('customer_uid', 'text', (c) => c.primaryKey())
    .addColumn('last_sequence', instant, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('customer_uid', 'text', (c) => c.notNull())
    .addColumn('sequence', instant, (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('occurred_at', instant, (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('events_pk', ['customer_uid', 'sequence'])
    .execute();

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('uid', 'text', (c) => c.primaryKey())
    .addColumn('customer_uid', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('event_types', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('delivered_sequence', instant, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', instant, (c) => c.notNull())
    .addColumn('failing_since', instant)
    .addColumn('last_error', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('locked_until', instant)
    .addColumn('lease_token', 'text')
    .addColumn('created_at', instant, (c) => c.notNull())
    .addColumn('disabled_at', instant)
    .execute();
  await db.schema.createIndex('webhook_endpoints_customer').on('webhook_endpoints').column('customer_uid').execute();
  // The delivery pass looks only at enabled endpoints that are due.
  await db.schema
    .createIndex('webhook_endpoints_due')
    .on('webhook_endpoints')
    .column('next_attempt_at')
    .where(sql.ref('status'), '=', 'enabled')
    .execute();
}
