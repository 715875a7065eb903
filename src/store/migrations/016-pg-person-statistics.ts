/**
 * PostgreSQL only: the planner's estimate of how many persons (and PIN
 * claims) one conference has is pinned to a small number, so every
 * statement that reads one conference's persons keeps the plan that seeks
 * them by `persons_conference_uids`, however skewed the table is.
 *
 * Why: ANALYZE estimates `n_distinct` of `persons.conference_uid` from its
 * sample, and the statements that read a conference's persons compare it
 * with the conference row's UID (a correlated subquery: the value is not
 * known at planning time, even in a custom plan), so the planner expects
 * `rows / n_distinct` persons for any conference. A database whose persons
 * sit in a few big conferences (the benchmark's seed after its addPerson
 * rows: 3 distinct values in 35,500 rows, so 11,837 expected) then walked
 * `persons_pkey` in id order and filtered the whole table for each
 * getConference (3.5 ms of PostgreSQL CPU a statement instead of 0.2, in
 * bench/pg-plans.ts) and scanned it sequentially for getConferenceData's
 * view and fingerprint. Reading one conference's persons through the
 * conference's index is the right plan for any conference, big or small: a
 * conference that holds most of the table is read in index order, which the
 * ordered aggregates need anyway.
 *
 * `n_distinct = -0.05` says "one distinct conference per 20 persons" and
 * scales with the table; ANALYZE stores it instead of its own estimate
 * (autovacuum's next analyze and the one below). The PIN claims follow their
 * persons' distribution (a claim belongs to a person of its conference).
 * SQLite has no such statistics (nothing runs ANALYZE there): unchanged.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/** The fraction ANALYZE stores for both columns (negative: distinct values per row). */
export const conferenceDistinctFraction = -0.05;

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  for (const table of ['persons', 'pin_claims']) {
    await sql
      .raw(`alter table ${table} alter column conference_uid set (n_distinct = ${conferenceDistinctFraction})`)
      .execute(db);
  }
  await sql`analyze persons, pin_claims`.execute(db);
}
