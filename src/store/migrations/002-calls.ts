/**
 * Calls, second step: the breakouts a call has used (a caller's `breakout`
 * holds only where it is now, the call's `breakouts` lists every one), and the
 * name the media server gives the call's room.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const instant = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .alterTable('calls')
    .addColumn('server_conference_uid', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .createTable('call_breakouts')
    .addColumn('call_uid', 'text', (c) => c.notNull().references('calls.uid'))
    .addColumn('breakout_uid', 'text', (c) => c.notNull())
    .addColumn('customer_uid', 'text', (c) => c.notNull())
    .addColumn('first_used_at', instant, (c) => c.notNull())
    .addPrimaryKeyConstraint('call_breakouts_pk', ['call_uid', 'breakout_uid'])
    .execute();
}
