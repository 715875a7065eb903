/**
 * Email: the mail queue (every message Baton sends, with its delivery status),
 * reminder claims (one row per reminder ever queued, so several schedulers on
 * one database send each exactly once), and the calendar invitation last sent
 * to each self-registered person (to send updates when the schedule moves).
 */
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const instant = dialect === 'postgres' ? 'bigint' : 'integer';
  const text = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo('');

  await db.schema
    .createTable('mail_queue')
    .addColumn('uid', 'text', (c) => c.primaryKey())
    .addColumn('customer_uid', 'text', (c) => c.notNull())
    .addColumn('conference_uid', 'text')
    .addColumn('person_uid', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', instant, (c) => c.notNull())
    .addColumn('locked_until', instant)
    .addColumn('expires_at', instant)
    .addColumn('last_error', 'text', text)
    .addColumn('message_id', 'text', text)
    .addColumn('created_at', instant, (c) => c.notNull())
    .addColumn('sent_at', instant)
    .execute();
  // The delivery worker's claim reads only unfinished rows.
  await db.schema
    .createIndex('mail_queue_due')
    .on('mail_queue')
    .columns(['status', 'next_attempt_at'])
    .where(sql<boolean>`status in ('queued', 'sending')`)
    .execute();
  await db.schema.createIndex('mail_queue_person').on('mail_queue').columns(['person_uid', 'created_at']).execute();

  await db.schema
    .createTable('reminder_claims')
    .addColumn('reservation_uid', 'text', (c) => c.notNull())
    .addColumn('person_uid', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('start_at', instant, (c) => c.notNull())
    .addColumn('mail_uid', 'text', (c) => c.notNull())
    .addColumn('created_at', instant, (c) => c.notNull())
    .addPrimaryKeyConstraint('reminder_claims_pk', ['reservation_uid', 'person_uid', 'kind', 'start_at'])
    .execute();
  // Claims of reservations that have started are pruned by start.
  await db.schema.createIndex('reminder_claims_start').on('reminder_claims').column('start_at').execute();

  await db.schema
    .createTable('invitations')
    .addColumn('person_uid', 'text', (c) => c.primaryKey())
    .addColumn('conference_uid', 'text', (c) => c.notNull())
    .addColumn('customer_uid', 'text', (c) => c.notNull())
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('schedule', 'text', (c) => c.notNull())
    .addColumn('canceled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', instant, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('invitations_conference').on('invitations').column('conference_uid').execute();

  // The reminder sweep looks for reservations starting within the next day, across customers.
  await db.schema
    .createIndex('reservations_start')
    .on('reservations')
    .column('start_at')
    .where(sql.ref('start_at'), 'is not', null)
    .execute();
}
