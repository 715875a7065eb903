/**
 * What the cached conference lists need (SQLite only, like migration 010):
 *
 * - A per-customer scope in the change log, `lists:<customer UID>`, written
 *   whenever any of the customer's conferences or reservations is inserted,
 *   updated or deleted. A list's answer depends on which of the customer's
 *   conferences are in it, and a conference enters or leaves a list by a
 *   change to its own row (created, canceled, a call starting or ending, its
 *   last end moved) or to its reservations — also when it was not listed, so
 *   the conference's own scope is not enough. What a listed conference shows
 *   (its persons, calls and custom values) is logged under its UID by 010.
 * - An index of the customer's reservations by start, so the next instant
 *   any of the customer's conferences changes status by time alone (the
 *   soonest window opening) is one index seek, as the soonest end is on
 *   `reservations_customer_end`: the list's answer is reused until then.
 *
 * PostgreSQL has no change log and no list cache, so nothing is made there.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/** The change-log scope of "the customer's conferences, as the lists see them". */
export const listScopePrefix = 'lists:';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  for (const table of ['conferences', 'reservations']) {
    const log = (row: 'new' | 'old') =>
      `insert into change_log (scope) values ('${listScopePrefix}' || ${row}.customer_uid);`;
    const bodies = {
      insert: log('new'),
      // A row never changes customer, but if one did both customers' lists change.
      update: `${log('new')}
        insert into change_log (scope) select '${listScopePrefix}' || old.customer_uid
          where old.customer_uid is not new.customer_uid;`,
      delete: log('old'),
    };
    for (const [event, body] of Object.entries(bodies)) {
      await sql
        .raw(`create trigger change_log_lists_${table}_${event} after ${event} on ${table} begin\n${body}\nend`)
        .execute(db);
    }
  }
  await sql`create index reservations_customer_start on reservations (customer_uid, start_at)`.execute(db);
}
