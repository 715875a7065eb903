/**
 * SQL for the event log. Each customer's events are numbered 1, 2, 3, … in
 * the change's own transaction, so a customer's events become visible in
 * sequence order and a rollback returns its numbers (no gaps). PostgreSQL
 * bumps a per-customer counter row with an upsert … RETURNING: the row stays
 * locked until commit, so two writers of one customer take numbers one after
 * the other and commit in that order. SQLite has one writer at a time, so the
 * next number is the customer's largest one plus one, read inside the write
 * transaction from the events' own key (migration 017: `event_counters` is a
 * view there). Appending is the last write of a transaction, so the counter
 * is held for as short a time as possible.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { isPostgres } from './database.js';
import { prepared } from './prepared.js';
import { keeperOfReads, writeGroupOf } from './sqlite-executor.js';
import type { Database, EventTable } from './schema.js';
import type { MaybePromise } from '../maybe-promise.js';

export type EventRow = Selectable<EventTable>;

/** An event to append: its sequence is allocated here. */
export interface NewEventRow {
  id: string;
  type: string;
  occurred_at: number;
  data: string;
}

/** SQLite: the customer's largest event number (null before its first), one seek on the events' key. */
const lastSequenceQuery = prepared('last_event_sequence', 'select max(sequence) from events where customer_uid = ?');
const insertEvent = prepared(
  'insert_event',
  'insert into events (customer_uid, sequence, id, type, occurred_at, data) values (?, ?, ?, ?, ?, ?)',
);
// Appending an event changes no conference (no trigger on events): a kept conference read stays true.
keeperOfReads(insertEvent.sqlite);

/**
 * Appends `events` for a customer, numbered in order after its last event; returns the rows. Inside an
 * SQLite write group at once (no promise: the statements run on the held connection); a promise elsewhere.
 */
export function appendEvents(
  trx: Kysely<Database>,
  customerUid: string,
  events: readonly NewEventRow[],
): MaybePromise<EventRow[]> {
  if (events.length === 0) return [];
  if (isPostgres(trx)) return appendEventsPostgres(trx, customerUid, events);
  // Inside an SQLite write group: raw prepared statements on the held connection.
  const group = writeGroupOf(trx);
  if (group) {
    // The customer's last number is read once a write transaction: the
    // units after the first that append for the customer carry it on
    // (events are only appended here; a rollback forgets the carried number).
    const key = `events:${customerUid}`;
    const carried = group.carried(key) as number | undefined;
    const last = carried ?? ((group.inGroupRow(lastSequenceQuery.sqlite, [customerUid])![0] as number | null) || 0);
    const rows = numbered(customerUid, last + 1, events);
    for (const r of rows)
      group.inGroup(insertEvent.sqlite, [r.customer_uid, r.sequence, r.id, r.type, r.occurred_at, r.data]);
    group.carry(key, last + rows.length);
    return rows;
  }
  return appendEventsKysely(trx, customerUid, events);
}

/** Any other SQLite transaction (the site's, the CLI's): the same two statements through Kysely. */
async function appendEventsKysely(
  trx: Kysely<Database>,
  customerUid: string,
  events: readonly NewEventRow[],
): Promise<EventRow[]> {
  const last = await sql<{
    last: number | null;
  }>`select max(sequence) as last from events where customer_uid = ${customerUid}`.execute(trx);
  const rows = numbered(customerUid, Number(last.rows[0]?.last ?? 0) + 1, events);
  await trx.insertInto('events').values(rows).execute();
  return rows;
}

/** `events` as rows of the customer numbered from `first` on. */
function numbered(customerUid: string, first: number, events: readonly NewEventRow[]): EventRow[] {
  return events.map((e, i) => ({
    customer_uid: customerUid,
    sequence: first + i,
    id: e.id,
    type: e.type,
    occurred_at: e.occurred_at,
    data: e.data,
  }));
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
  return numbered(customerUid, first, events);
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

/**
 * The customer's last sequence number, 0 before its first event. SQLite reads
 * it from the events' key (one seek: its `event_counters` view would group
 * all of the customer's events).
 */
export async function lastEventSequence(db: Kysely<Database>, customerUid: string): Promise<number> {
  if (!isPostgres(db)) {
    const last = await sql<{
      last: number | null;
    }>`select max(sequence) as last from events where customer_uid = ${customerUid}`.execute(db);
    return Number(last.rows[0]?.last ?? 0);
  }
  const row = await db
    .selectFrom('event_counters')
    .select('last_sequence')
    .where('customer_uid', '=', customerUid)
    .executeTakeFirst();
  return row ? Number(row.last_sequence) : 0;
}
