/**
 * The change log (SQLite): one row per changed object that a cached read
 * depends on, naming its scope — the customer's UID for customers, their API
 * keys and their own custom values; the conference's UID for conferences,
 * reservations, persons and calls; the object's UID for any custom value, and
 * also its conference for a person's, call's or caller's one. Triggers write
 * it, so it is complete whoever writes: any worker, the CLI, the site, the
 * bridge, a later migration.
 *
 * A process that sees the database changed (`PRAGMA data_version`, or a
 * commit of its own) reads the rows after the last one it applied and drops
 * only the cached answers of those scopes (`SqliteExecutor`). `seq` is a plain
 * rowid: SQLite has one writer at a time, so rowids are handed out in commit
 * order and a reader never sees a later row before an earlier one. The row
 * written here (scope '') keeps the log from ever being empty; the job runner
 * prunes old rows but always keeps the newest, so a rowid is never reused and
 * a process whose last row was pruned knows it (and drops everything).
 *
 * PostgreSQL gets nothing: it has no read cache (each process reads through),
 * and a sequence there is not handed out in commit order — a reader could see
 * row 10 committed while row 9 is still in flight, so "rows after the last
 * one seen" would not be exact. A change feed for it would be NOTIFY from
 * triggers, not this table.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/** Each table a cached read depends on, and the scope(s) a changed row names (`$` is `new` or `old`). */
const scopes: Record<string, string[]> = {
  customers: ['$.uid'],
  api_keys: ['$.customer_uid'],
  conferences: ['$.uid'],
  reservations: ['$.conference_uid'],
  persons: ['$.conference_uid'],
  calls: ['$.conference_uid'],
  custom_values: [
    '$.object_uid',
    `case $.object_type
       when 'person' then (select conference_uid from persons where uid = $.object_uid)
       when 'call' then (select conference_uid from calls where uid = $.object_uid)
       when 'caller' then (select conference_uid from callers where uid = $.object_uid)
     end`,
  ],
};

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  await sql`create table change_log (seq integer primary key, scope text not null)`.execute(db);
  await sql`insert into change_log (scope) values ('')`.execute(db);
  for (const [table, expressions] of Object.entries(scopes)) {
    const rowsOf = (row: 'new' | 'old') => expressions.map((e) => e.replaceAll('$', row));
    // A custom value of an object that is gone has no conference to name (null).
    const log = (row: 'new' | 'old') =>
      rowsOf(row)
        .map((e) => `insert into change_log (scope) select s from (select ${e} as s) where s is not null;`)
        .join('\n');
    // An update names the scopes after it, and those before it that differ
    // (a row moved to another conference changes both).
    const olds = rowsOf('old').map(
      (e, i) =>
        `insert into change_log (scope) select s from (select ${e} as s, ${rowsOf('new')[i]} as t)
         where s is not null and s is not t;`,
    );
    const bodies = {
      insert: log('new'),
      update: [log('new'), ...olds].join('\n'),
      delete: log('old'),
    };
    for (const [event, body] of Object.entries(bodies)) {
      await sql
        .raw(`create trigger change_log_${table}_${event} after ${event} on ${table} begin\n${body}\nend`)
        .execute(db);
    }
  }
}
