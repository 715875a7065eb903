/**
 * A conference's reservations by one index on both databases:
 * `reservations_conference_customer` (conference, customer, start).
 *
 * Every read of one conference's reservations is scoped by customer
 * (`conference_uid = ? and customer_uid = ? order by start_at`). Once 011
 * added `reservations_customer_start`, SQLite's planner — which has no
 * statistics to tell one conference's few rows from a customer's thousands —
 * chose that index for those reads, because it also yields the order: it
 * walked all of the customer's reservations to find one conference's (437
 * rows on the benchmark's 1,000-conference seed, 47 µs of every addPerson in
 * the writer; linear in the customer's size). With both equalities and the
 * order in one index, the planner takes it: one seek, the conference's rows
 * in order. `reservations_conference` stays for the lists' correlated
 * subqueries, which constrain the conference alone.
 * `query-plans.test.ts` holds every prepared statement to its index.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('reservations_conference_customer')
    .on('reservations')
    .columns(['conference_uid', 'customer_uid', 'start_at'])
    .execute();
}
