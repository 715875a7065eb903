/**
 * The change log says which of its rows are a person added (SQLite only,
 * like migration 010): `change_log.person_id`, the new person's id, set by
 * the persons insert trigger and null on every other row.
 *
 * Why: a conference's person-UID list only grows by an insert (ids are
 * AUTOINCREMENT, so a new person's id is above every id ever given, and the
 * list is in id order). A process whose cached list was dropped only by such
 * rows reads the persons after the last one it had (one index seek) instead
 * of the whole list again: after an addPerson, getConference's answer on a
 * conference of 2,000 persons read 2,000 UIDs (270 µs) for one new one. Any
 * other change of the conference's scope (a person removed or changed, a
 * custom value, the conference itself) is a row with a null `person_id`, and
 * the process reads the list in full, as before (`SqliteExecutor`).
 *
 * The trigger writes the same scope as 010's, so a build that reads only
 * `seq` and `scope` sees the very same changes.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  await sql`alter table change_log add column person_id integer`.execute(db);
  await sql`drop trigger change_log_persons_insert`.execute(db);
  await sql
    .raw(
      `create trigger change_log_persons_insert after insert on persons begin
         insert into change_log (scope, person_id) select s, new.id from (select new.conference_uid as s)
           where s is not null;
       end`,
    )
    .execute(db);
}
