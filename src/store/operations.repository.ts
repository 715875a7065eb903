/**
 * SQL that operators' probes and metrics run: readiness (migrations applied)
 * and the instance-wide figures read at scrape time (mail backlog, live calls).
 * Each query answers from an index, so a scrape stays cheap on a big database.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Answers when the database takes a query; throws when it does not. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}

/** Names of the migrations this database has applied (empty before the first). */
export async function appliedMigrationNames(db: Kysely<Database>): Promise<string[]> {
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
    return rows.rows.map((r) => r.name);
  } catch (error) {
    // No migration table yet: nothing applied. Any other failure is the database's.
    if (/kysely_migration/.test(String(error))) return [];
    throw error;
  }
}

/** Messages waiting in the mail queue, per state, with the creation time of the oldest. */
export interface MailBacklog {
  status: 'queued' | 'sending';
  count: number;
  oldestCreatedAt: number | null;
}

/** The unsent part of the mail queue (the partial index `mail_queue_due` covers exactly these rows). */
export async function mailBacklog(db: Kysely<Database>): Promise<MailBacklog[]> {
  const rows = await db
    .selectFrom('mail_queue')
    .select((eb) => ['status', eb.fn.countAll<number>().as('count'), eb.fn.min<number>('created_at').as('oldest')])
    .where('status', 'in', ['queued', 'sending'])
    .groupBy('status')
    .execute();
  return (['queued', 'sending'] as const).map((status) => {
    const row = rows.find((r) => r.status === status);
    return {
      status,
      count: Number(row?.count ?? 0),
      oldestCreatedAt: row?.oldest === undefined || row.oldest === null ? null : Number(row.oldest),
    };
  });
}

/** Calls live now across every customer, and the callers on them. */
export async function liveCallCounts(db: Kysely<Database>): Promise<{ calls: number; callers: number }> {
  const calls = await db
    .selectFrom('calls')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'ACTIVE')
    .executeTakeFirst();
  const callers = await db
    .selectFrom('callers')
    .innerJoin('calls', 'calls.uid', 'callers.call_uid')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('calls.status', '=', 'ACTIVE')
    .where('callers.ended_at', 'is', null)
    .executeTakeFirst();
  return { calls: Number(calls?.n ?? 0), callers: Number(callers?.n ?? 0) };
}
