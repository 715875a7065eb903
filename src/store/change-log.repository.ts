/**
 * SQL for the change log (SQLite only; migration 010): what the read cache of
 * every process applies, and what the job runner prunes.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './database.js';
import type { Database } from './schema.js';

/** Rows the log keeps: far more than one event-loop turn of any process writes. */
export const changeLogKeep = 10_000;

/**
 * Deletes all but the newest `keep` rows of the change log (never the newest
 * one: rowids must not be reused). Answers how many went; 0 on PostgreSQL,
 * which has no log. A process that had not yet read a pruned row drops its
 * whole cache.
 */
export async function pruneChangeLog(db: Kysely<Database>, dialect: Dialect, keep = changeLogKeep): Promise<number> {
  if (dialect !== 'sqlite') return 0;
  const result =
    await sql`delete from change_log where seq <= (select max(seq) from change_log) - ${Math.max(1, keep)}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
