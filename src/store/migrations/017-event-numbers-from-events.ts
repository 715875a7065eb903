/**
 * SQLite only: a customer's last event number is read from the events
 * themselves; `event_counters` becomes a view of the same name and columns
 * (`max(sequence)` per customer) instead of a table every change writes.
 *
 * Why: on SQLite the counter row was two more B-trees (the table and its
 * key's index) and one more statement in every write that appends an event
 * (addPerson among them), though SQLite already serialises writers: inside a
 * write transaction nobody else can append, so the customer's largest
 * sequence plus one is the next number, found by one seek on the events' own
 * key (`customer_uid, sequence`), whose pages the insert then touches anyway.
 * The numbers keep their meaning: gap-free per customer (a unit rolled back
 * takes its events with it, so the next unit gets the same numbers), in
 * commit order (one writer at a time). This holds as long as events are never
 * deleted — nothing deletes them; a pruning of the event log would have to
 * keep each customer's newest event.
 *
 * The view keeps what reads the counter working unchanged: the webhooks'
 * starting cursor and `baton copy`, which copies it into PostgreSQL's table
 * (its rows are exactly the counters PostgreSQL would hold).
 *
 * PostgreSQL keeps its counter table: there several transactions append at
 * once, and the locked counter row is what orders them.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  await sql`drop table event_counters`.execute(db);
  await sql`
    create view event_counters (customer_uid, last_sequence) as
    select customer_uid, max(sequence) from events group by customer_uid`.execute(db);
}
