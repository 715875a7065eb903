/**
 * SQL of the shared throttles: one atomic upsert per hit, so concurrent
 * processes never lose a count, and a primary-key read per check.
 */
import { sql, type Kysely } from 'kysely';
import { postgresPoolOf } from './database.js';
import { prepared } from './prepared.js';
import type { Database } from './schema.js';

/** A key's window: when it opened and how many hits it holds. */
export interface ThrottleWindow {
  windowStart: number;
  hits: number;
}

/**
 * Counts one hit of `key` at `now`; a window older than `windowMs` starts
 * over. Returns the window after the hit.
 */
export async function hitThrottle(
  db: Kysely<Database>,
  scope: string,
  key: string,
  now: number,
  windowMs: number,
): Promise<ThrottleWindow> {
  const stale = sql<boolean>`throttle_counters.window_start <= ${now - windowMs}`;
  const row = await db
    .insertInto('throttle_counters')
    .values({ scope, key, window_start: now, hits: 1, expires_at: now + windowMs })
    .onConflict((oc) =>
      oc.columns(['scope', 'key']).doUpdateSet({
        hits: sql<number>`case when ${stale} then 1 else throttle_counters.hits + 1 end`,
        window_start: sql<number>`case when ${stale} then ${now} else throttle_counters.window_start end`,
        expires_at: sql<number>`case when ${stale} then ${now + windowMs} else throttle_counters.expires_at end`,
      }),
    )
    .returning(['window_start', 'hits'])
    .executeTakeFirstOrThrow();
  return { windowStart: Number(row.window_start), hits: Number(row.hits) };
}

const throttleWindow = (({ name, postgres }) => ({ name, text: postgres }))(
  prepared('throttle_window', 'select window_start, hits from throttle_counters where scope = ? and "key" = ?'),
);

/** The current window of `key`, or undefined when it has none. */
export async function readThrottle(
  db: Kysely<Database>,
  scope: string,
  key: string,
): Promise<ThrottleWindow | undefined> {
  // Every API request checks its address (PostgreSQL only): a named prepared statement.
  const pool = postgresPoolOf(db);
  const row = pool
    ? (await pool.query<{ window_start: number; hits: number }>({ ...throttleWindow, values: [scope, key] })).rows[0]
    : await db
        .selectFrom('throttle_counters')
        .select(['window_start', 'hits'])
        .where('scope', '=', scope)
        .where('key', '=', key)
        .executeTakeFirst();
  return row ? { windowStart: Number(row.window_start), hits: Number(row.hits) } : undefined;
}

/** Deletes windows that ended before `now`; returns how many. */
export async function pruneThrottles(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db.deleteFrom('throttle_counters').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
