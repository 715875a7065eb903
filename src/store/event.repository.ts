/**
 * SQL for the event log. Sequence numbers come from a per-customer counter row
 * bumped with an upsert … RETURNING in the change's own transaction: the row
 * stays locked until commit (PostgreSQL) or the database is (SQLite), so two
 * writers of one customer take numbers one after the other and commit in that
 * order, and a rollback returns its numbers. Appending is the last write of a
 * transaction, so the counter is held for as short a time as possible.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { isPostgres } from './database.js';
import { groupAll, groupRun, prepared } from './prepared.js';
import type { Database, EventTable } from './schema.js';

export type EventRow = Selectable<EventTable>;

/** An event to append: its sequence is allocated here. */
export interface NewEventRow {
  id: string;
  type: string;
  occurred_at: number;
  data: string;
}

const bumpCounter = prepared(
  'bump_event_counter',
  'insert into event_counters (customer_uid, last_sequence) values (?, ?) ' +
    'on conflict (customer_uid) do update set last_sequence = event_counters.last_sequence + excluded.last_sequence ' +
    'returning last_sequence',
);
const insertEvent = prepared(
  'insert_event',
  'insert into events (customer_uid, sequence, id, type, occurred_at, data) values (?, ?, ?, ?, ?, ?)',
);

/** Appends `events` for a customer, numbered in order after its last event; returns the rows. */
export async function appendEvents(
  trx: Kysely<Database>,
  customerUid: string,
  events: readonly NewEventRow[],
): Promise<EventRow[]> {
  if (events.length === 0) return [];
  if (isPostgres(trx)) return appendEventsPostgres(trx, customerUid, events);
  // Inside an SQLite write group: raw prepared statements on the held connection.
  const bumped = groupAll<{ last_sequence: number }>(trx, bumpCounter, [customerUid, events.length]);
  if (bumped) {
    const first = Number(bumped[0]!.last_sequence) - events.length + 1;
    const rows = events.map((e, i) => ({ customer_uid: customerUid, sequence: first + i, ...e }));
    for (const r of rows) groupRun(trx, insertEvent, [r.customer_uid, r.sequence, r.id, r.type, r.occurred_at, r.data]);
    return rows;
  }
  const { last_sequence: last } = await trx
    .insertInto('event_counters')
    .values({ customer_uid: customerUid, last_sequence: events.length })
    .onConflict((oc) =>
      oc.column('customer_uid').doUpdateSet((eb) => ({
        last_sequence: eb('event_counters.last_sequence', '+', events.length),
      })),
    )
    .returning('last_sequence')
    .executeTakeFirstOrThrow();
  const first = Number(last) - events.length + 1;
  const rows = events.map((e, i) => ({ customer_uid: customerUid, sequence: first + i, ...e }));
  await trx.insertInto('events').values(rows).execute();
  return rows;
}

/**
 * PostgreSQL: the counter's upsert and the events' insert in one statement
 * (one round trip instead of two); the same rows, numbered the same way.
 */
async function appendEventsPostgres(
  trx: Kysely<Database>,
  customerUid: string,
  events: readonly NewEventRow[],
): Promise<EventRow[]> {
  const n = events.length;
  const result = await sql<{ sequence: number }>`
    with counter as (
      insert into event_counters (customer_uid, last_sequence) values (${customerUid}, ${n}::bigint)
      on conflict (customer_uid) do update set last_sequence = event_counters.last_sequence + ${n}::bigint
      returning last_sequence)
    insert into events (customer_uid, sequence, id, type, occurred_at, data)
    select ${customerUid}, counter.last_sequence - ${n}::bigint + e.ord, e.id, e.type, e.occurred_at, e.data
    from counter, unnest(${events.map((e) => e.id)}::text[], ${events.map((e) => e.type)}::text[],
      ${events.map((e) => e.occurred_at)}::bigint[], ${events.map((e) => e.data)}::text[])
      with ordinality as e(id, type, occurred_at, data, ord)
    returning sequence`.execute(trx);
  const first = Math.min(...result.rows.map((r) => Number(r.sequence)));
  return events.map((e, i) => ({ customer_uid: customerUid, sequence: first + i, ...e }));
}

/** Up to `limit` events of a customer after `after`, in sequence order. */
export async function listEvents(
  db: Kysely<Database>,
  customerUid: string,
  after: number,
  limit: number,
): Promise<EventRow[]> {
  return db
    .selectFrom('events')
    .selectAll()
    .where('customer_uid', '=', customerUid)
    .where('sequence', '>', after)
    .orderBy('sequence')
    .limit(limit)
    .execute();
}

/** The customer's last sequence number, 0 before its first event. */
export async function lastEventSequence(db: Kysely<Database>, customerUid: string): Promise<number> {
  const row = await db
    .selectFrom('event_counters')
    .select('last_sequence')
    .where('customer_uid', '=', customerUid)
    .executeTakeFirst();
  return row ? Number(row.last_sequence) : 0;
}
