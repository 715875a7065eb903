/**
 * Opens the database that DATABASE_URL names: a SQLite file (the embedded
 * default) or PostgreSQL (`postgres://…`, for several processes on one database).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresAdapter, PostgresDialect, type Migration, type Transaction } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import * as core from './migrations/001-core.js';
import * as calls from './migrations/002-calls.js';
import * as mail from './migrations/003-mail.js';
import * as hardening from './migrations/004-hardening.js';
import * as hotPath from './migrations/005-hot-path.js';
import * as admin from './migrations/006-admin.js';
import * as events from './migrations/007-events.js';
import * as idempotency from './migrations/009-idempotency.js';
import * as changeLog from './migrations/010-change-log.js';
import * as listScope from './migrations/011-list-scope.js';
import * as reservationsByConference from './migrations/012-reservations-by-conference.js';
import * as writePathIndexes from './migrations/013-write-path-indexes.js';
import * as changeLogAppends from './migrations/015-change-log-appends.js';
import * as pgPersonStatistics from './migrations/016-pg-person-statistics.js';
import * as eventNumbersFromEvents from './migrations/017-event-numbers-from-events.js';
import type { Database } from './schema.js';
import { SqliteExecutor, writeGroupOf } from './sqlite-executor.js';
import { isPostgresUrl, sqliteFileOf } from './database-url.js';
import { fallbackPages, startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js';

export type Dialect = 'sqlite' | 'postgres';

/** An open database: the query builder, which dialect it speaks, and how to close it. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** PostgreSQL only: the pool's live counts, read by /metrics. */
  readonly pool?: PoolStats;
  close(): Promise<void>;
}

/** What pg.Pool tells about itself at any moment. */
export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** PostgreSQL pool settings (SQLite has one connection per process and ignores them). */
export interface StoreOptions {
  /** Pool size per process. Default 4 (see DB_POOL_MAX). */
  poolMax?: number;
  /** How long to wait for a connection, in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Close connections idle for this long, in ms. Default 30000. */
  idleTimeoutMs?: number;
  /** Server-side statement_timeout, in ms; 0 for none. Default 0. */
  statementTimeoutMs?: number;
  /**
   * SQLite only: this process writes the file (a server of one process), so
   * its WAL checkpoints run in a thread of its own instead of inside its
   * COMMITs (wal-checkpointer.ts).
   */
  checkpointInBackground?: boolean;
  /**
   * SQLite only: this process writes the file, and another process's thread
   * checkpoints it (the cluster's primary runs one for every worker, see
   * `startCheckpoints`): only the fallback automatic checkpoint stays here.
   */
  checkpointElsewhere?: boolean;
}

/** The store options the configuration asks for. */
export function storeOptions(config: Config): StoreOptions {
  return {
    poolMax: config.dbPoolMax,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    idleTimeoutMs: config.dbIdleTimeoutMs,
    statementTimeoutMs: config.dbStatementTimeoutMs,
  };
}

export { isPostgresUrl };

// int8 (bigint) columns hold millisecond instants: well inside Number's exact range.
pg.types.setTypeParser(20, (v) => Number(v));

/** Opens (and for SQLite, creates) the database at `url`. */
export function openStore(url: string, options: StoreOptions = {}): Store {
  if (isPostgresUrl(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolMax ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
      application_name: 'baton',
      // No JIT compilation for Baton's statements: each is a short indexed
      // read or write, but the batched request read's estimate (json rows ×
      // the view's subqueries) crosses jit_above_cost once a conference holds
      // a few thousand persons, and PostgreSQL then compiled it on every
      // execution (20–50 ms of its CPU each; the benchmark's PostgreSQL rows
      // fell to a few hundred requests a second). A URL that names its own
      // `options` keeps them as written.
      ...(/[?&]options=/.test(url) ? {} : { options: '-c jit=off' }),
    });
    // An idle connection the server drops (restart, failover) is discarded by
    // the pool; without a listener its 'error' event would end the process.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    pools.set(db, pool);
    return { db, dialect: 'postgres', pool, close: () => db.destroy() };
  }
  const file = sqliteFileOf(url);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Temporary files in memory. Each unit of a write group is a SAVEPOINT, and
  // SQLite keeps the original of every page a unit first changes in a
  // statement journal so the unit alone can roll back; on a file that was
  // ~22 pwrite calls per addPerson (more than its WAL frames). That journal
  // only serves rollback inside an open transaction: a crash loses it with
  // the transaction it belongs to, so durability is the WAL's, as before.
  sqlite.pragma('temp_store = MEMORY');
  // Never sleep inside the event loop waiting for another process's lock:
  // the executor retries SQLITE_BUSY on a later turn instead.
  sqlite.pragma('busy_timeout = 0');
  const checkpointer = options.checkpointInBackground && file !== ':memory:' ? startWalCheckpointer(file) : undefined;
  if (checkpointer || options.checkpointElsewhere) sqlite.pragma(`wal_autocheckpoint = ${fallbackPages}`);
  const executor = new SqliteExecutor(sqlite);
  const db = new Kysely<Database>({ dialect: executor.dialect() });
  executors.set(db, executor);
  return {
    db,
    dialect: 'sqlite',
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/**
 * The WAL checkpoint thread for the SQLite file at `url`, run by a process
 * that does not write it itself (the cluster's primary, for its workers
 * opened with `checkpointElsewhere`); undefined for PostgreSQL and memory.
 */
export function startCheckpoints(url: string): WalCheckpointer | undefined {
  if (isPostgresUrl(url)) return undefined;
  const file = sqliteFileOf(url);
  return file === ':memory:' ? undefined : startWalCheckpointer(file);
}

const executors = new WeakMap<Kysely<Database>, SqliteExecutor>();
const pools = new WeakMap<Kysely<Database>, pg.Pool>();

/** The pool behind a PostgreSQL store's `db` (for named prepared statements); undefined otherwise. */
export function postgresPoolOf(db: Kysely<Database>): pg.Pool | undefined {
  return pools.get(db);
}

/**
 * The executor behind a SQLite store's `db`, for repository functions with raw
 * prepared statements; undefined for PostgreSQL and for a transaction (whose
 * statements must run through it).
 */
export function sqliteExecutorOf(db: Kysely<Database>): SqliteExecutor | undefined {
  return executors.get(db);
}

/** True when `db` (a store's `db` or one of its transactions) speaks PostgreSQL. */
export function isPostgres(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Every migration, in order. A new one is appended, never edited once released. */
function migrations(dialect: Dialect): Record<string, Migration> {
  const bind = (m: { up(db: Kysely<unknown>, d: Dialect): Promise<void> }): Migration => ({
    up: (db) => m.up(db, dialect),
  });
  return {
    '001-core': bind(core),
    '002-calls': bind(calls),
    '003-mail': bind(mail),
    '004-hardening': bind(hardening),
    '005-hot-path': bind(hotPath),
    '006-admin': bind(admin),
    '007-events': bind(events),
    '009-idempotency': bind(idempotency),
    '010-change-log': bind(changeLog),
    '011-list-scope': bind(listScope),
    '012-reservations-by-conference': bind(reservationsByConference),
    '013-write-path-indexes': bind(writePathIndexes),
    '015-change-log-appends': bind(changeLogAppends),
    '016-pg-person-statistics': bind(pgPersonStatistics),
    '017-event-numbers-from-events': bind(eventNumbersFromEvents),
  };
}

/** The names of every migration, in order (what a fully migrated database has applied). */
export function migrationNames(): string[] {
  return Object.keys(migrations('sqlite'));
}

/** Applies every pending migration; throws with the failing migration's error. */
export async function migrate(store: Store): Promise<void> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations(store.dialect) },
    // Migrations are numbered by the branch that adds them and may land out of
    // order; each is independent of the ones numbered after it.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    // No migration ran: the database could not be reached or locked (a wrong host or port, a refused login).
    const why = failed === undefined ? 'cannot reach the database to migrate it' : `migration ${failed} failed`;
    throw new Error(`${why}: ${String(error)}`, { cause: error });
  }
}

/** The stores `storeOnUnit` derived, each with the store it was derived from. */
const unitStores = new WeakMap<Store, Store>();

/**
 * `store` with `db` the transaction of a write unit (an idempotent call's,
 * see protocol/answer-call.ts), so that a call runs on that unit; anything
 * keyed by the store (event listeners) finds its `rootStore`.
 */
export function storeOnUnit(store: Store, db: Kysely<Database>): Store {
  const derived: Store = { ...store, db };
  unitStores.set(derived, store);
  return derived;
}

/** The store `store` was derived from by `storeOnUnit`; `store` itself for one `openStore` opened. */
export function rootStore(store: Store): Store {
  return unitStores.get(store) ?? store;
}

/** What to run once a transaction of inTransaction has committed, by transaction. */
const commitHooks = new WeakMap<object, Array<() => void>>();

/**
 * Runs `hook` once the transaction `trx` has committed (never when it rolls
 * back) — e.g. to wake a worker for what the transaction wrote. Outside a
 * transaction of inTransaction the write is already done: it runs at once.
 */
export function afterCommit(trx: Kysely<Database>, hook: () => void): void {
  const hooks = commitHooks.get(trx);
  if (hooks) hooks.push(hook);
  else queueMicrotask(hook);
}

/** Runs the hooks of a committed transaction. A hook only wakes a worker: its failure must not turn a committed change into an error. */
function runCommitHooks(hooks: Array<() => void>): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      /* ignored */
    }
  }
}

/** PostgreSQL's serialization_failure and deadlock_detected: the transaction was rolled back and may simply be run again. */
const rerunnable = new Set(['40001', '40P01']);
const attempts = 5;

/** True for an error of PostgreSQL's that rolled the work back and that simply running it again may cure. */
export function isRerunnable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && rerunnable.has(code);
}

/**
 * Runs `work` in one transaction: on SQLite a savepoint in the write group
 * of this event-loop turn (see sqlite-executor.ts); when `db` is itself the
 * transaction of such a unit, a savepoint inside it. When PostgreSQL rolls it back for a
 * serialization failure or a deadlock, runs it again (up to 5 times, after a
 * short random pause); the last failure propagates, and the API answers it
 * with -3. `work` must do nothing outside the transaction that cannot be repeated.
 */
export async function inTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  // SQLite, inside a unit of a write group (an idempotent call runs its
  // claim, the call and its stored answer as one unit, see
  // idempotency.repository.ts): a savepoint inside that unit, committed with it.
  const group = writeGroupOf(db);
  if (group) {
    const hooks = commitHooks.get(db);
    const before = hooks?.length ?? 0;
    try {
      return await group.nested(db as Transaction<Database>, work);
    } catch (error) {
      // What the rolled-back work asked to run after the COMMIT is not to run.
      if (hooks) hooks.length = before;
      throw error;
    }
  }
  // SQLite: group commit (a savepoint in the turn's shared transaction); the
  // write resolves only once the group's COMMIT is done.
  // Each transaction's hooks entry is deleted once it has ended, not left for
  // the WeakMap to drop: an entry whose key died young stays in the map's
  // table (old space) until a mark-compact clears it, one entry a write, and
  // under registrations that table's growth brought the workers' mark-compacts.
  const executor = executors.get(db);
  if (executor) {
    const hooks: Array<() => void> = [];
    let unit: object | undefined;
    try {
      const result = await executor.write((trx) => {
        if (unit) commitHooks.delete(unit);
        commitHooks.set((unit = trx), hooks);
        return work(trx);
      });
      runCommitHooks(hooks);
      return result;
    } finally {
      if (unit) commitHooks.delete(unit);
    }
  }
  for (let attempt = 1; ; attempt++) {
    const hooks: Array<() => void> = [];
    let unit: object | undefined;
    try {
      const result = await db.transaction().execute((trx) => {
        commitHooks.set((unit = trx), hooks);
        return work(trx);
      });
      runCommitHooks(hooks);
      return result;
    } catch (error) {
      if (attempt >= attempts || !isRerunnable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    } finally {
      if (unit) commitHooks.delete(unit);
    }
  }
}
