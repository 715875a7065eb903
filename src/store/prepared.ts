/**
 * Raw prepared statements for the hot path, behind the repository functions
 * that own their SQL. A statement is written once with `?` placeholders and
 * prepared once per process (SQLite, by the executor) or per connection
 * (PostgreSQL, as a named statement: parsed and planned once, then one
 * Bind/Execute round trip per run).
 *
 * They run on the store's own `db`, and on SQLite inside a unit of a write
 * group (its transaction holds the connection and its savepoint is open, so
 * the statement belongs to it: `groupAll`, `groupRun`, and `fastAll` there).
 * Inside any other transaction the repository function runs the same query
 * through Kysely on the transaction's connection (`fastAll` answers
 * undefined): a raw statement must never run beside a transaction it does
 * not belong to.
 */
import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { AnswerCache, estimateSize, type AnswerCacheStats } from './answer-cache.js';
import { postgresPoolOf, sqliteExecutorOf } from './database.js';
import { deepFreeze, writeGroupOf } from './sqlite-executor.js';
import type { Database } from './schema.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';

/** A statement with its name (PostgreSQL's prepared-statement name) and both dialects' text. */
export interface PreparedQuery {
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

const declared: PreparedQuery[] = [];

/** Every statement declared with `prepared` so far (the query-plan test reads them all). */
export function declaredQueries(): readonly PreparedQuery[] {
  return declared;
}

/** Declares a prepared statement; `?` placeholders become `$1…$n` for PostgreSQL. */
export function prepared(name: string, sqlText: string): PreparedQuery {
  let n = 0;
  const query = { name: `baton_${name}`, sqlite: sqlText, postgres: sqlText.replace(/\?/g, () => `$${++n}`) };
  declared.push(query);
  return query;
}

/**
 * Inside a unit of an SQLite write group: the rows of `query` (a write's
 * RETURNING rows; none for a write without), run synchronously on a raw
 * prepared statement. Undefined anywhere else (PostgreSQL, the store's `db`,
 * another transaction): the caller runs its Kysely query.
 */
export function groupAll<R>(trx: Kysely<Database>, query: PreparedQuery, params: unknown[]): R[] | undefined {
  return writeGroupOf(trx)?.inGroup(query.sqlite, params).rows as R[] | undefined;
}

/** `groupAll` for a write: how many rows it changed; undefined outside an SQLite write group. */
export function groupRun(trx: Kysely<Database>, query: PreparedQuery, params: unknown[]): number | undefined {
  return writeGroupOf(trx)?.inGroup(query.sqlite, params).changes;
}

/** `groupRun` for an insert: the rowid it gave the row; undefined outside an SQLite write group. */
export function groupInsert(trx: Kysely<Database>, query: PreparedQuery, params: unknown[]): number | undefined {
  const id = writeGroupOf(trx)?.inGroup(query.sqlite, params).lastInsertRowid;
  return id === undefined ? undefined : Number(id);
}

/**
 * The rows of `query`, on raw prepared statements; undefined when `db` is a
 * transaction other than a unit of an SQLite write group (the caller then
 * runs its Kysely query on it).
 */
export function fastAll<R>(db: Kysely<Database>, query: PreparedQuery, params: unknown[]): Promise<R[]> | undefined {
  const group = writeGroupOf(db);
  if (group) {
    try {
      return Promise.resolve(group.inGroup(query.sqlite, params).rows as R[]);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const executor = sqliteExecutorOf(db);
  if (executor) return executor.read(() => executor.statement(query.sqlite).all(...params) as R[]);
  const pool = postgresPoolOf(db);
  if (pool) return pool.query({ name: query.name, text: query.postgres, values: params }).then((r) => r.rows as R[]);
  return undefined;
}

/**
 * `fastAll` for many wide rows: on SQLite each row is read as an array of its
 * values (in the order of the statement's columns) and made into an object
 * by `build`, which is about 40% cheaper than better-sqlite3's own row
 * objects (500 persons: 1,070 → 680 µs). PostgreSQL's rows are objects
 * already.
 */
export function fastAllBuilt<R>(
  db: Kysely<Database>,
  query: PreparedQuery,
  params: unknown[],
  build: (values: unknown[]) => R,
): Promise<R[]> | undefined {
  const executor = sqliteExecutorOf(db);
  if (executor) {
    return executor.read(() => (executor.statement(query.sqlite, 'array').all(...params) as unknown[][]).map(build));
  }
  return fastAll<R>(db, query, params);
}

/**
 * `fastAll` whose answer is kept until an object it depends on changes
 * (SQLite: see `SqliteExecutor.cachedRead`; exact across processes). `scopes`
 * names those objects by UID, as the change log does (migration 010): the
 * customer for its row and keys, the conference for its row, reservations,
 * persons and calls, the object for its custom values. PostgreSQL runs the
 * statement every time: without a change feed, a process cannot know that
 * another changed a row. The answer is frozen; callers must not change it.
 */
export function fastAllCached<R>(
  db: Kysely<Database>,
  query: PreparedQuery,
  params: string[],
  scopes: readonly string[],
): Promise<readonly R[]> | undefined {
  try {
    const rows = cachedRows<R>(db, query, params, scopes);
    return rows === undefined || isPromise(rows) ? rows : Promise.resolve(rows);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * `fastAllCached` for the hot path: rows the SQLite cache holds are returned
 * as they are, in the same turn; a promise only when they must be read (and
 * always on PostgreSQL). May throw where `fastAllCached` would reject.
 */
export function cachedRows<R>(
  db: Kysely<Database>,
  query: PreparedQuery,
  params: string[],
  scopes: readonly string[],
): MaybePromise<readonly R[]> | undefined {
  const executor = sqliteExecutorOf(db);
  if (executor) {
    const statement = executor.statement(query.sqlite);
    return executor.cachedRead(
      params.length === 1 ? readKeyOf(query, params[0]!) : `${query.name}\u0000${params.join('\u0000')}`,
      scopes,
      () => statement.all(...params) as R[],
      estimateSize,
    );
  }
  return fastAll<R>(db, query, params);
}

/** Per statement of one parameter, the cache key of each parameter value seen (bounded): see `readKeyOf`. */
const readKeys = new WeakMap<PreparedQuery, Map<string, string>>();
const readKeysLimit = 10_000;

/**
 * The cache key of `query` run with `param`: the same string object every
 * time, so the cache's lookup finds its hash already computed and the key
 * equal by identity. Composing it afresh for each request (a concatenation,
 * flattened, hashed and compared character by character) cost more than the
 * lookup by the parameter alone.
 */
function readKeyOf(query: PreparedQuery, param: string): string {
  let keys = readKeys.get(query);
  if (keys === undefined) readKeys.set(query, (keys = new Map()));
  let key = keys.get(param);
  if (key === undefined) {
    if (keys.size >= readKeysLimit) keys.clear();
    key = `${query.name}\u0000${param}`;
    keys.set(param, key);
  }
  return key;
}

/**
 * Tells the store a request arrived (SQLite: its cache reads the database's
 * change counter again before answering it, see
 * `SqliteExecutor.requestArrived`); nothing on PostgreSQL.
 */
export function requestArrived(db: Kysely<Database>): void {
  sqliteExecutorOf(db)?.requestArrived();
}

/**
 * An answer built from the store's cached reads, itself cached on SQLite
 * until one of `scopes` changes or `now()` reaches the `until` that
 * `compute` answered (see `SqliteExecutor.cachedAnswer`). On PostgreSQL,
 * `content` — when the caller has it — is the exact text of everything the
 * answer is built from, read by this very request (a read-ahead view, see
 * request-read.repository.ts): the answer built from equal content is
 * reused until `until`, so only the presentation is saved, never a read,
 * and nothing can be stale. Without `content` (or inside a transaction)
 * `compute` runs every time. The answer is frozen. An answer the SQLite
 * cache holds is returned as it is, in the same turn (no promise).
 */
export function cachedAnswer<T>(
  db: Kysely<Database>,
  key: string,
  scopes: readonly string[],
  compute: () => Promise<{ value: T; until: number; from?: number; scopes?: readonly string[] }>,
  now: () => number,
  content?: string,
): MaybePromise<T> {
  const executor = sqliteExecutorOf(db);
  if (executor) return executor.cachedAnswer(key, scopes, compute, now);
  return presentedAnswer(db, key, compute, now, content);
}

/** PostgreSQL's side of `cachedAnswer`: the answer built from equal content, reused until `until`. */
async function presentedAnswer<T>(
  db: Kysely<Database>,
  key: string,
  compute: () => Promise<{ value: T; until: number; from?: number; scopes?: readonly string[] }>,
  now: () => number,
  content: string | undefined,
): Promise<T> {
  if (content === undefined || !postgresPoolOf(db)) return (await compute()).value;
  let cache = presentedAnswers.get(db);
  if (!cache) presentedAnswers.set(db, (cache = new AnswerCache()));
  const cached = cache.get(key) as { content: string; value: T; from: number; until: number } | undefined;
  if (cached !== undefined && cached.content === content) {
    const at = now();
    if (cached.from <= at && at < cached.until) return cached.value;
  }
  const built = await compute();
  if (now() < built.until) {
    const entry = deepFreeze({ content, value: built.value, from: built.from ?? -Infinity, until: built.until });
    const answer = typeof entry.value === 'object' && entry.value !== null ? entry.value : undefined;
    cache.set(key, entry, [], 16 + 2 * content.length + estimateSize(entry.value), answer);
  }
  return built.value;
}

/** PostgreSQL: answers by key with the content they were built from (see `cachedAnswer`), per store. */
const presentedAnswers = new WeakMap<Kysely<Database>, AnswerCache>();

/** PostgreSQL: the counters of the store's presented answers (renderings reused…), once it has any; for tests. */
export function presentedAnswerStats(db: Kysely<Database>): Readonly<AnswerCacheStats> | undefined {
  return presentedAnswers.get(db)?.stats;
}

/**
 * The bytes `render()` gives for `answer` under `variant` when `answer` is a
 * value an answer cache holds (`cachedAnswer` returned it: on SQLite the
 * executor's, on PostgreSQL the presented answers reused for equal
 * content): rendered once, reused for as long as the cache holds that very
 * object, dropped with it. Undefined, with nothing rendered, for any other
 * value: the caller renders as usual. `render` must depend on nothing but
 * `answer` and `variant`.
 */
export function renderedAnswer(
  db: Kysely<Database>,
  answer: object,
  variant: string,
  render: () => Buffer,
): Buffer | undefined {
  const executor = sqliteExecutorOf(db);
  if (executor) return executor.renderedAnswer(answer, variant, render);
  const cache = presentedAnswers.get(db);
  if (!cache) return undefined;
  const kept = cache.rendering(answer, variant);
  if (kept !== undefined) return kept;
  if (!cache.holds(answer)) return undefined;
  const bytes = render();
  cache.keepRendering(answer, variant, bytes);
  return bytes;
}

const columnNames = new WeakMap<SqliteDatabase.Statement, string[]>();

/**
 * The rows of a statement in `array` shape (see `SqliteExecutor.statement`)
 * as objects keyed by column name: cheaper than better-sqlite3's own row
 * objects for wide rows in bulk. Run it inside an executor `read` unit.
 */
export function rowsOf<R>(statement: SqliteDatabase.Statement, params: unknown[]): R[] {
  let names = columnNames.get(statement);
  if (!names) {
    names = statement.columns().map((c) => c.name);
    columnNames.set(statement, names);
  }
  const width = names.length;
  const rows = statement.all(...params) as unknown[][];
  const out: R[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r]!;
    const row: Record<string, unknown> = {};
    for (let i = 0; i < width; i++) row[names[i]!] = values[i];
    out[r] = row as R;
  }
  return out;
}
