/**
 * The one owner of a process's SQLite connection. Everything that touches the
 * connection goes through it, so no statement can run inside another
 * request's transaction:
 *
 * - `read(unit)`: a synchronous unit of raw prepared statements, run at once
 *   when nobody holds the connection (better-sqlite3 is synchronous, so
 *   nothing interleaves), else after the holder is done.
 * - `write(work)`: group commit. The writes that arrive in one event-loop
 *   turn share one `BEGIN IMMEDIATE … COMMIT`, each inside its own SAVEPOINT
 *   (its Kysely Transaction runs on that savepoint), so one failure rolls
 *   back only itself; a lone write runs on the transaction itself, rolled
 *   back whole when it fails. No write's promise settles before the COMMIT
 *   that holds it.
 * - Kysely (`db` outside a group) acquires the same lock for each query or
 *   transaction.
 *
 * Several processes share the file: busy_timeout is 0, so SQLite answers
 * SQLITE_BUSY at once instead of sleeping inside the event loop, and the
 * executor tries again on a later turn (a timer), giving up after
 * `busyDeadlineMs` (the API answers -3). The processes of one cluster take
 * turns instead (`useWriteGate`): a write group first waits for the
 * cluster's write token, so they do not collide on the lock at all; the
 * retry stays for everything else that writes the file (the CLI, a backup).
 */
import type SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteDialect,
  Transaction,
  type DatabaseConnection,
  type Driver,
  type KyselyPlugin,
  type KyselyProps,
  type QueryExecutor,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { AnswerCache, defaultCacheLimits, estimateSize, type CacheLimits } from './answer-cache.js';
import { WalIndexProbe } from './wal-index-probe.js';
import type { Database } from './schema.js';
import type { MaybePromise } from '../maybe-promise.js';
import { statsNow, writeGroupStats } from './write-group-stats.js';

/** How long a statement keeps retrying SQLITE_BUSY before the error propagates (the old busy_timeout). */
const busyDeadlineMs = 5000;
/** How many prepared statements are kept: every statement Baton runs, with room to spare. */
const statementCacheSize = 500;

/** A piece of work of a write group, and how to settle its caller. */
interface PendingWrite {
  work: (trx: Transaction<Database>) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** When it was queued (only with `BATON_WRITE_STATS`). */
  queuedAt?: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A change-log row: its scope, and the person it added when it is a person's insert (migration 015). */
interface ChangeLogRow {
  seq: number;
  scope: string;
  person_id: number | null;
}

/** True for the error better-sqlite3 raises when another process holds the lock. */
export function isBusy(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_BUSY';
}

/** The change log (migration 010): its newest row, and the rows from one on (at most a batch). */
const changeLogNewest = 'select max(seq) from change_log';
/** More changes than this since a process last looked: dropping everything is cheaper than reading them. */
const changeLogBatch = 1000;
const changeLogSince = `select seq, scope, person_id from change_log where seq >= ? order by seq limit ${changeLogBatch + 1}`;

/** Lists of values that inserts only append to, kept for `cachedAppendOnly`: at most this many values in all. */
const appendOnlyValues = 200_000;

/** A list as this process last read it, and the id of its last row (see `cachedAppendOnly`). */
interface AppendOnlyList {
  readonly key: string;
  readonly values: readonly unknown[];
  readonly last: number;
}

/** Freezes an answer and the rows in it, so a caller that would change a shared answer fails loudly. */
function freeze<T>(value: T): T {
  // By index, and only the objects (freezing a string or a number does nothing): a list of 2,000 person UIDs
  // through the array's iterator cost about a tenth of a large conference's miss.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) Object.freeze(item);
    }
  }
  return Object.freeze(value);
}

/** Freezes a whole answer tree: every caller after the first shares it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** Write statements (SQL text) that change no row a kept read reads (see `keeperOfReads`). */
const keepersOfReads = new Set<string>();

/**
 * Names a write statement that changes no row of `conferences` or
 * `reservations`, neither itself nor through a trigger (the change log's
 * triggers write only `change_log`): it may run between a read that
 * `SqliteExecutor.keep` holds and the read's reuse by a later unit. Any
 * other write statement forgets the kept reads. Returns `sqlText`.
 */
export function keeperOfReads(sqlText: string): string {
  keepersOfReads.add(sqlText);
  return sqlText;
}

/** The executor whose write group a unit's transaction belongs to, by transaction. */
const groupTransactions = new WeakMap<object, SqliteExecutor>();

/**
 * The executor when `trx` is the transaction of a unit of its write group
 * (the connection is held and the unit's savepoint open), so the store's
 * functions may run raw prepared statements on it synchronously; else
 * undefined.
 */
export function writeGroupOf(trx: object): SqliteExecutor | undefined {
  return groupTransactions.get(trx);
}

/** A plugin that refuses every query once its unit is over (as Kysely's own transactions do after commit). */
function liveOnly(state: { live: boolean }): KyselyPlugin {
  return {
    transformQuery(args) {
      if (!state.live) throw new Error('Transaction is already committed');
      return args.node;
    },
    transformResult: (args) => Promise.resolve(args.result),
  };
}

/** A unit's savepoint. Units of a group run one after another, so one name serves them all. */
const savepoint = 'unit';
/** The savepoint of a transaction inside a unit (see `nested`). */
const nestedSavepoint = 'nested';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Who may write next, among the processes of one cluster (the write token,
 * src/write-token.ts). A write group acquires it before its BEGIN IMMEDIATE
 * and releases it after its COMMIT or ROLLBACK; while it waits, the group
 * keeps gathering the writes that arrive.
 */
export interface WriteGate {
  /** Resolves once this process holds the token; rejects when it never will (the cluster is gone). */
  acquire(): Promise<void>;
  /**
   * Hands the token back. `more`: the group held more than one write, so
   * more are likely on their way (the gate may ask for the next turn now).
   */
  release(more?: boolean): void;
}

export class SqliteExecutor {
  private readonly kyselyStatements = new Map<string, SqliteDatabase.Statement>();
  private readonly rawStatements = new Map<string, SqliteDatabase.Statement>();
  private locked = false;
  private readonly waiters: (() => void)[] = [];
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  /** What a unit's Transaction is made of: a Kysely whose queries run on the held connection, without the lock. */
  private readonly unitProps: KyselyProps;
  private readonly unitExecutor: QueryExecutor;
  /**
   * Values read inside the current write transaction and carried to its
   * later units (a customer's last event number: see `carried`). Emptied
   * when the transaction begins and ends and at every rollback to a
   * savepoint (what a rolled-back unit carried may be what it wrote).
   */
  private readonly carriedValues = new Map<string, unknown>();
  /**
   * Rows read inside the current write transaction and kept for its later
   * units while nothing may have changed them (see `kept`): emptied as
   * `carriedValues` is, and also by every write statement not named in
   * `keepersOfReads`.
   */
  private readonly keptReads = new Map<string, unknown>();
  /** Write transactions this process committed. */
  commits = 0;
  /** Times a write group's BEGIN found the file's write lock taken by another connection and tried again later. */
  busyBegins = 0;
  private gate: WriteGate | undefined;
  /** Statements of this process that may have changed something (with `commits`, what the cache compares). */
  private writeStatements = 0;
  private readonly cache: AnswerCache;
  private cacheSeen = { dataVersion: -1, changes: -1 };
  private turnDataVersion: number | undefined;
  /**
   * The `-shm` header probe that spares `PRAGMA data_version` while nothing
   * committed (wal-index-probe.ts); null when the file has none, undefined
   * until the first read opened the file's WAL index.
   */
  private walProbe: WalIndexProbe | null | undefined;
  private readonly readDataVersion = () => this.statement('PRAGMA data_version', 'pluck').get() as number;
  private turnEndScheduled = false;
  private readonly endTurn = () => {
    this.turnEndScheduled = false;
    this.turnDataVersion = undefined;
  };
  /** The last change-log row applied to the cache; -1 before the first (or when the log cannot be read). */
  private logSeen = -1;
  /**
   * Lists read through `cachedAppendOnly`, by scope, kept while every change
   * logged for that scope is an appended row; their values counted, to bound them.
   */
  private readonly appendOnly = new Map<string, AppendOnlyList>();
  private appendOnlyCount = 0;
  /** Cached answers served and computed, and what was dropped (for the benchmark and tests). */
  readonly cacheStats: {
    hits: number;
    misses: number;
    /** Append-only lists read from their last row on instead of in full (`cachedAppendOnly`). */
    extended: number;
  } & AnswerCache['stats'];

  constructor(
    readonly sqlite: SqliteDatabase.Database,
    cacheLimits: CacheLimits = defaultCacheLimits,
  ) {
    this.cache = new AnswerCache(cacheLimits);
    this.cacheStats = Object.assign(this.cache.stats, { hits: 0, misses: 0, extended: 0 });
    const dialect = new ExecutorDialect(this, 'group');
    this.unitExecutor = new Kysely<Database>({ dialect }).getExecutor();
    this.unitProps = { config: { dialect }, dialect, driver: dialect.createDriver(), executor: this.unitExecutor };
  }

  /** A Kysely dialect over this executor (for the store's `db`). */
  dialect(): SqliteDialect {
    return new ExecutorDialect(this, 'locked');
  }

  /** A prepared statement for Kysely's compiled SQL, reused by text (LRU). */
  kyselyStatement(sqlText: string): SqliteDatabase.Statement {
    const cache = this.kyselyStatements;
    const cached = cache.get(sqlText);
    if (cached && !cached.busy) {
      cache.delete(sqlText);
      cache.set(sqlText, cached);
      return cached;
    }
    const statement = this.sqlite.prepare(sqlText);
    if (!cached) {
      cache.set(sqlText, statement);
      if (cache.size > statementCacheSize) cache.delete(cache.keys().next().value!);
    }
    return statement;
  }

  /**
   * A raw prepared statement, prepared once for the process's life. `shape`
   * is applied once: `pluck` (first column only), `row` (objects) or `array`
   * (each row an array of its values: better-sqlite3 builds row objects
   * through slow native property sets, so wide rows in bulk are cheaper as
   * arrays made into objects in JavaScript).
   */
  statement(sqlText: string, shape: 'row' | 'pluck' | 'array' = 'row'): SqliteDatabase.Statement {
    const key = shape === 'row' ? sqlText : `${shape}:${sqlText}`;
    let statement = this.rawStatements.get(key);
    if (!statement) {
      statement = this.sqlite.prepare(sqlText);
      if (shape === 'pluck') statement.pluck();
      if (shape === 'array') statement.raw();
      this.rawStatements.set(key, statement);
    }
    return statement;
  }

  /**
   * From now on every write group waits for `gate` before it begins (the
   * cluster's write token), so the processes of one cluster take turns
   * instead of colliding on the file's write lock.
   */
  useWriteGate(gate: WriteGate): void {
    this.gate = gate;
  }

  /** Waits until this caller holds the connection. */
  lock(): Promise<void> {
    if (!this.locked) {
      this.locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Hands the connection to the next waiter, or frees it. */
  unlock(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.locked = false;
  }

  /**
   * Runs a synchronous unit of reads. With more than one statement, the unit
   * runs in one read transaction so every statement sees the same snapshot
   * (other processes may commit in between otherwise).
   */
  async read<T>(unit: () => T, snapshot = false): Promise<T> {
    if (!this.locked) {
      try {
        return snapshot ? this.inReadTransaction(unit) : unit();
      } catch (error) {
        if (!isBusy(error)) throw error;
      }
    }
    await this.lock();
    try {
      return await this.retryBusy(() => (snapshot ? this.inReadTransaction(unit) : unit()));
    } finally {
      this.unlock();
    }
  }

  /**
   * `read(unit)` with its answer kept until an object it depends on changes:
   * `scopes` names them (the customer's UID, the conference's UID, the
   * object's UID; see migration 010). On each event-loop turn where
   * `PRAGMA data_version` (a commit by any other connection) or this
   * process's own write count moved, the change log's new rows say which
   * scopes changed, and only their answers are dropped. So a key revoked
   * through another process is refused on the next request, a commit that
   * touched no cached table drops nothing, and nothing expires on a timer.
   * The answer is frozen: callers share it. `size` estimates its bytes (the
   * cache's memory bound). A held answer is returned as it is (no promise:
   * the request goes on in the same turn); only a read waits.
   */
  cachedRead<T>(key: string, scopes: readonly string[], unit: () => T, size: (value: T) => number): MaybePromise<T> {
    if (this.locked) return this.afterLock(() => this.cachedReadNow(key, scopes, unit, size));
    return this.cachedReadNow(key, scopes, unit, size);
  }

  private cachedReadNow<T>(
    key: string,
    scopes: readonly string[],
    unit: () => T,
    size: (value: T) => number,
  ): MaybePromise<T> {
    this.validateCache();
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.cacheStats.hits++;
      return cached as T;
    }
    return this.readToCache(key, scopes, unit, size);
  }

  private async readToCache<T>(
    key: string,
    scopes: readonly string[],
    unit: () => T,
    size: (value: T) => number,
  ): Promise<T> {
    this.cacheStats.misses++;
    const seen = this.cacheSeen;
    const value = freeze(await this.read(unit));
    // Only keep it if nothing changed while it was read.
    if (seen === this.cacheSeen && this.changes() === seen.changes) this.cache.set(key, value, scopes, size(value));
    return value;
  }

  /**
   * `cachedRead` for a list that rows are only ever appended to, in id order
   * (a conference's person UIDs: ids are AUTOINCREMENT, so a new row's id is
   * above every id given before). When the cached list was dropped only by
   * change-log rows that each name an appended row (migration 015), and no
   * change is unseen (nothing committed since the log was applied), it is
   * read as the list this process last read plus the rows after its last
   * one (`after`, one index seek) instead of in full (`full`). Any other
   * change logged for `scope` forgets the list, and so does a cleared cache.
   * `full` and `after` give the values and the id of the last row they
   * read; `full`'s undefined id (its last row is gone already) keeps nothing.
   */
  cachedAppendOnly<T>(
    key: string,
    scope: string,
    full: () => { values: T[]; last: number | undefined },
    after: (last: number) => { values: T[]; last: number | undefined },
  ): MaybePromise<readonly T[]> {
    return this.cachedRead(
      key,
      [scope],
      () => {
        const kept = this.appendOnly.get(scope);
        if (kept !== undefined && kept.key === key && this.logIsCurrent()) {
          const more = after(kept.last);
          this.cacheStats.extended++;
          if (more.values.length === 0) return kept.values as T[];
          const values = (kept.values as T[]).concat(more.values);
          this.keepAppendOnly(scope, { key, values, last: more.last ?? kept.last });
          return values;
        }
        const read = full();
        if (read.last === undefined) this.forgetAppendOnly(scope);
        else this.keepAppendOnly(scope, { key, values: read.values, last: read.last });
        return read.values;
      },
      estimateSize,
    );
  }

  /**
   * True when every change committed so far has been applied from the log:
   * no other connection committed since `data_version` was last read for the
   * log (it moves on every other connection's commit), and this process
   * wrote nothing since.
   */
  private logIsCurrent(): boolean {
    const seen = this.cacheSeen;
    return this.logSeen >= 0 && seen.changes === this.changes() && this.dataVersion() === seen.dataVersion;
  }

  private keepAppendOnly(scope: string, list: AppendOnlyList): void {
    this.forgetAppendOnly(scope);
    if (list.values.length > appendOnlyValues / 4) return;
    this.appendOnly.set(scope, list);
    this.appendOnlyCount += list.values.length;
    // The oldest kept first (Map order): a list read again moves to the end.
    for (const [oldest] of this.appendOnly) {
      if (this.appendOnlyCount <= appendOnlyValues) break;
      this.forgetAppendOnly(oldest);
    }
  }

  private forgetAppendOnly(scope: string): void {
    const kept = this.appendOnly.get(scope);
    if (kept === undefined) return;
    this.appendOnly.delete(scope);
    this.appendOnlyCount -= kept.values.length;
  }

  /** Drops every cached answer and every kept list. */
  private clearCache(): void {
    this.cache.clear();
    this.appendOnly.clear();
    this.appendOnlyCount = 0;
  }

  /**
   * `next()` once whoever holds the connection lets go of it (a write group
   * of this process in the middle of its transaction): the change log is not
   * read inside another unit's transaction. As before, `next` does not wait
   * a second time.
   */
  private afterLock<T>(next: () => MaybePromise<T>): Promise<T> {
    return this.lock().then(() => {
      this.unlock();
      return next();
    });
  }

  /**
   * An answer built by `compute` from cached reads (e.g. a presented
   * getConference), kept like them until one of `scopes` changes, and also
   * only while `now()` is before the `until` that `compute` gave (the next
   * instant a time-derived field of the answer could change; the domain
   * computes it, it is not a TTL). Kept only if nothing changed while it was
   * built, so it is never older than the reads it came from. `compute` may
   * name more scopes, known only once it has read (a list's conferences),
   * and `from`, the instant it read the clock at: a clock set back before it
   * (a fake clock, or a system clock stepped back) computes again.
   */
  cachedAnswer<T>(
    key: string,
    scopes: readonly string[],
    compute: () => Promise<{ value: T; until: number; from?: number; scopes?: readonly string[] }>,
    now: () => number,
  ): MaybePromise<T> {
    if (this.locked) return this.afterLock(() => this.cachedAnswerNow(key, scopes, compute, now));
    return this.cachedAnswerNow(key, scopes, compute, now);
  }

  private cachedAnswerNow<T>(
    key: string,
    scopes: readonly string[],
    compute: () => Promise<{ value: T; until: number; from?: number; scopes?: readonly string[] }>,
    now: () => number,
  ): MaybePromise<T> {
    this.validateCache();
    const cached = this.cache.get(key) as { value: T; until: number; from: number } | undefined;
    if (cached !== undefined) {
      const at = now();
      if (at < cached.until && at >= cached.from) {
        this.cacheStats.hits++;
        return cached.value;
      }
    }
    return this.computeToCache(key, scopes, compute, now);
  }

  private async computeToCache<T>(
    key: string,
    scopes: readonly string[],
    compute: () => Promise<{ value: T; until: number; from?: number; scopes?: readonly string[] }>,
    now: () => number,
  ): Promise<T> {
    this.cacheStats.misses++;
    const seen = this.cacheSeen;
    const changes = this.changes();
    const built = await compute();
    if (seen === this.cacheSeen && this.changes() === changes && now() < built.until) {
      const entry = deepFreeze({ value: built.value, until: built.until, from: built.from ?? -Infinity });
      const answer = typeof built.value === 'object' && built.value !== null ? built.value : undefined;
      this.cache.set(
        key,
        entry,
        built.scopes ? [...scopes, ...built.scopes] : scopes,
        estimateSize(entry.value),
        answer,
      );
    }
    return built.value;
  }

  /**
   * `render()`'s bytes for `answer` under `variant`, reused while `answer` is
   * the very object a `cachedAnswer` entry holds (they are dropped with it);
   * undefined, with nothing rendered, for any other value. `render` must
   * depend on nothing but `answer` and `variant`.
   */
  renderedAnswer(answer: object, variant: string, render: () => Buffer): Buffer | undefined {
    const kept = this.cache.rendering(answer, variant);
    if (kept !== undefined) return kept;
    if (!this.cache.holds(answer)) return undefined;
    const bytes = render();
    this.cache.keepRendering(answer, variant, bytes);
    return bytes;
  }

  /**
   * A request arrived: the cache reads `data_version` again before it is
   * answered. The turn's value is otherwise kept until a `setImmediate`; one
   * read in the event loop's check phase (a write group's continuations)
   * would then still serve the requests of the next iteration's poll phase,
   * which may have been sent after another process committed. A request's
   * own continuations in the same turn keep the value it read.
   */
  requestArrived(): void {
    this.turnDataVersion = undefined;
  }

  /**
   * Brings the cache up to date with the database, once per turn: when
   * anything committed since it last looked, applies the change log's new
   * rows. The log is read after `data_version`, and answers after the log, so
   * a commit that lands in between is seen again on the next turn (dropping
   * a little more than needed, never less).
   */
  private validateCache(): void {
    if (this.turnDataVersion === undefined) {
      this.turnDataVersion = this.dataVersion();
      if (!this.turnEndScheduled) {
        this.turnEndScheduled = true;
        setImmediate(this.endTurn);
      }
    }
    const seen = this.cacheSeen;
    if (seen.dataVersion !== this.turnDataVersion || seen.changes !== this.changes()) {
      this.cacheSeen = { dataVersion: this.turnDataVersion, changes: this.changes() };
      this.applyChangeLog();
    }
  }

  /**
   * Drops the answers of every scope logged since the last row applied. The
   * first row read must be that last row itself: if the job runner pruned it,
   * rows this process never saw may be gone too, so everything is dropped;
   * so it is after more changes than a batch (an idle process need not read
   * them all in one turn).
   * Without a readable log (a database before migration 010), everything is
   * dropped on every change, as before the log existed.
   */
  private applyChangeLog(): void {
    try {
      if (this.logSeen < 0) {
        this.clearCache();
        this.logSeen = (this.statement(changeLogNewest, 'pluck').get() as number | null) ?? -1;
        return;
      }
      const rows = this.statement(changeLogSince).all(this.logSeen) as ChangeLogRow[];
      if (rows[0]?.seq !== this.logSeen || rows.length > changeLogBatch) {
        this.clearCache();
        this.logSeen = (this.statement(changeLogNewest, 'pluck').get() as number | null) ?? -1;
        return;
      }
      for (let i = 1; i < rows.length; i++) {
        const row = rows[i]!;
        this.cache.dropScope(row.scope);
        // A row appended keeps the scope's append-only list: it is read from its last row on.
        if (row.person_id === null) this.forgetAppendOnly(row.scope);
      }
      this.logSeen = rows.at(-1)!.seq;
    } catch {
      // No log (yet), or one before migration 015: start over on the next change.
      this.clearCache();
      this.logSeen = -1;
    }
  }

  /**
   * `PRAGMA data_version` (it moves on every other connection's commit),
   * through the WAL-index probe where the file has one: the same number,
   * one `pread` instead of a read transaction while nothing committed.
   */
  private dataVersion(): number {
    let probe = this.walProbe;
    if (probe === undefined) {
      const version = this.readDataVersion();
      // After a first read, a WAL file's index exists: open it once. Only in WAL mode (a memory database,
      // or a file in another journal mode, may have no index or a stale one that nothing writes).
      const sqlite = this.sqlite;
      const wal = !sqlite.memory && sqlite.pragma('journal_mode', { simple: true }) === 'wal';
      probe = this.walProbe = wal ? (WalIndexProbe.open(sqlite.name) ?? null) : null;
      if (probe === null) return version;
    }
    return probe === null ? this.readDataVersion() : probe.dataVersion(this.readDataVersion, this.sqlite.inTransaction);
  }

  /** Closes what the cache's checks hold open (the connection is closing). */
  closeProbe(): void {
    this.walProbe?.close();
    this.walProbe = null;
  }

  /** How many answers the cache holds, and their estimated bytes. */
  cacheSize(): { entries: number; bytes: number } {
    return this.cache.size;
  }

  private changes(): number {
    return this.commits + this.writeStatements;
  }

  private inReadTransaction<T>(unit: () => T): T {
    this.sqlite.exec('BEGIN');
    try {
      const result = unit();
      this.sqlite.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK');
      throw error;
    }
  }

  /** Runs `attempt` until it does not fail with SQLITE_BUSY, trying again on later turns. */
  async retryBusy<T>(attempt: () => T): Promise<T> {
    const deadline = Date.now() + busyDeadlineMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      try {
        return attempt();
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
      }
      await pause(wait * (0.5 + Math.random()));
    }
  }

  /**
   * Runs `work` in the next write group: its own savepoint inside a shared
   * transaction. Resolves after that transaction's COMMIT; rejects with
   * `work`'s error (only its savepoint is rolled back), or with the group's
   * error when BEGIN or COMMIT fails.
   */
  write<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: PendingWrite = { work, resolve: resolve as (value: unknown) => void, reject };
      if (writeGroupStats) pending.queuedAt = statsNow();
      this.pending.push(pending);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const gate = this.gate;
    if (!gate) {
      this.flushScheduled = false;
      return this.flushGroup();
    }
    // Writes that arrive while the token is on its way join this group (no
    // second flush is scheduled until it is here).
    const asked = writeGroupStats ? statsNow() : 0;
    let granted = 0;
    try {
      await this.acquireWithin(gate, busyDeadlineMs);
      if (writeGroupStats) {
        granted = statsNow();
        writeGroupStats.wait.add(granted - asked);
        writeGroupStats.granted();
      }
    } catch (error) {
      this.flushScheduled = false;
      const group = this.pending;
      this.pending = [];
      for (const unit of group) unit.reject(error);
      return;
    }
    this.flushScheduled = false;
    let released = false;
    const release = (size = 0) => {
      if (released) return;
      released = true;
      gate.release(size > 1);
      if (writeGroupStats) {
        const now = statsNow();
        writeGroupStats.hold.add(now - granted);
        writeGroupStats.held(granted, now);
      }
    };
    try {
      await this.flushGroup(release);
    } finally {
      release();
    }
  }

  /**
   * `gate.acquire()`, or SQLITE_BUSY (the API's -3) once `ms` have passed
   * without it, as a BEGIN that keeps finding the lock taken does: no write
   * waits for ever behind a turn that never comes. A grant that comes
   * later is handed straight back.
   */
  private acquireWithin(gate: WriteGate, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(Object.assign(new Error('timed out waiting for the write token'), { code: 'SQLITE_BUSY' }));
      }, ms);
      timer.unref();
      gate.acquire().then(
        () => {
          clearTimeout(timer);
          if (late) gate.release();
          else resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /**
   * Runs every pending write as one group: BEGIN IMMEDIATE, a savepoint
   * each, COMMIT; then settles them. `done` runs once the transaction is over
   * and before any caller hears of it: the cluster's write token goes to the
   * next worker while this one answers its requests (given the group's size).
   */
  private async flushGroup(done?: (size: number) => void): Promise<void> {
    const group: PendingWrite[] = [];
    const outcomes: Outcome[] = [];
    let groupError: unknown;
    const deadline = Date.now() + busyDeadlineMs;
    const flushStarted = writeGroupStats ? statsNow() : undefined;
    // While another process holds the write lock, this one lets go of its
    // connection between attempts, so its reads go on.
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      await this.lock();
      // Everything that arrived until now joins this group.
      group.push(...this.pending);
      this.pending = [];
      if (group.length === 0) {
        // Another flush took them while this one waited.
        this.unlock();
        done?.(0);
        return;
      }
      try {
        this.statement('BEGIN IMMEDIATE').run();
        this.forgetCarried();
        break;
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) {
          groupError = error;
          break;
        }
        this.busyBegins++;
      }
      this.unlock();
      await pause(wait * (0.5 + Math.random()));
    }
    try {
      if (groupError !== undefined) throw groupError;
      try {
        const began = writeGroupStats ? statsNow() : 0;
        if (writeGroupStats && flushStarted !== undefined) writeGroupStats.begin.add(began - flushStarted);
        // A group of one (a sparse write) needs no savepoint: if its unit
        // fails, rolling back the whole transaction undoes exactly that unit.
        const alone = group.length === 1;
        for (const unit of group) outcomes.push(await this.runUnit(unit, alone));
        const committing = writeGroupStats ? statsNow() : 0;
        if (alone && !outcomes[0]!.ok) {
          if (this.sqlite.inTransaction) this.statement('ROLLBACK').run();
        } else {
          const commit = this.statement('COMMIT');
          await this.retryBusy(() => commit.run());
          this.commits++;
        }
        if (writeGroupStats) {
          writeGroupStats.units.add(committing - began);
          writeGroupStats.commit.add(statsNow() - committing);
          writeGroupStats.size.add(group.length);
        }
      } catch (error) {
        if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK');
        throw error;
      }
    } catch (error) {
      groupError = error;
    } finally {
      this.forgetCarried();
      this.unlock();
      done?.(group.length);
    }
    if (writeGroupStats && group[0]?.queuedAt !== undefined) {
      const oldest = group[0].queuedAt;
      // Measured once the answers have been sent on their way (the turn after the settling).
      setImmediate(() => writeGroupStats?.latency.add(statsNow() - oldest));
    }
    group.forEach((unit, i) => {
      const outcome = outcomes[i];
      if (groupError !== undefined) unit.reject(outcome && !outcome.ok ? outcome.error : groupError);
      else if (outcome!.ok) unit.resolve(outcome!.value);
      else unit.reject(outcome!.error);
    });
  }

  /**
   * Runs one unit of a write group inside its own savepoint: released when
   * `work` settles, rolled back to when it fails (only this unit's changes
   * go). Raw SAVEPOINT/RELEASE statements and one small Transaction object
   * per unit, instead of Kysely's transaction builder (whose connection
   * provider, executor copies and promise hops cost more than the
   * statements). The unit's transaction is live only while `work` runs: a
   * query it leaves behind fails instead of running in a later unit.
   * A failure to roll back is the group's (its transaction is not sound).
   * `alone`: the group's only unit, run on the transaction itself (no
   * savepoint); the caller rolls the transaction back when it fails.
   */
  private async runUnit(unit: PendingWrite, alone = false): Promise<Outcome> {
    const unitState = { live: true };
    const trx = new Transaction<Database>({
      ...this.unitProps,
      executor: this.unitExecutor.withPlugin(liveOnly(unitState)),
    });
    groupTransactions.set(trx, this);
    if (!alone) this.statement(`SAVEPOINT ${savepoint}`).run();
    try {
      const value = await unit.work(trx);
      if (!alone) this.statement(`RELEASE ${savepoint}`).run();
      return { ok: true, value };
    } catch (error) {
      if (!alone) {
        this.statement(`ROLLBACK TO ${savepoint}`).run();
        this.forgetCarried();
        this.statement(`RELEASE ${savepoint}`).run();
      }
      return { ok: false, error };
    } finally {
      unitState.live = false;
      groupTransactions.delete(trx);
    }
  }

  /**
   * Runs `work` inside the unit whose transaction `trx` is (see
   * `writeGroupOf`), in a savepoint of its own: a transaction within a
   * transaction. Its failure rolls back only what `work` wrote, and the
   * unit goes on (an idempotent call's claim and its stored refusal stay,
   * the refused call's writes go); its success leaves its writes to the
   * unit's own RELEASE and COMMIT, so nothing is answered before that COMMIT.
   */
  async nested<T>(trx: Transaction<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    if (groupTransactions.get(trx) !== this) throw new Error('nested: not a unit of this write group');
    // SQLite's savepoints nest by name: RELEASE and ROLLBACK TO take the innermost one so named.
    this.statement(`SAVEPOINT ${nestedSavepoint}`).run();
    let value: T;
    try {
      value = await work(trx);
    } catch (error) {
      this.statement(`ROLLBACK TO ${nestedSavepoint}`).run();
      this.forgetCarried();
      this.statement(`RELEASE ${nestedSavepoint}`).run();
      throw error;
    }
    this.statement(`RELEASE ${nestedSavepoint}`).run();
    return value;
  }

  /**
   * A value carried from one unit of the current write transaction to the
   * next (undefined when none is): the store sets it with `carry` after the
   * statement it follows from, and is the only writer of what it depends
   * on. Only valid inside a unit (the caller is one, see `writeGroupOf`):
   * nothing else writes the file while the transaction holds its lock, and
   * a rollback to a savepoint forgets every carried value.
   */
  carried(key: string): unknown {
    return this.carriedValues.get(key);
  }

  /** Sets a value `carried` gives to the later units of the current write transaction. */
  carry(key: string, value: unknown): void {
    this.carriedValues.set(key, value);
  }

  /**
   * A read of the current write transaction kept for its later units, or
   * undefined: `keep` stores one; every write statement of the transaction
   * that is not a `keeperOfReads`, and every rollback to a savepoint, forgets
   * them all, so a unit sees what an earlier unit of its group changed.
   * A kept read reads only `conferences` and `reservations` (what a keeper
   * promises not to change).
   */
  kept(key: string): unknown {
    return this.keptReads.get(key);
  }

  /** Keeps a read for `kept` (the caller is a unit of a write group). */
  keep(key: string, value: unknown): void {
    this.keptReads.set(key, value);
  }

  /** Forgets what the current transaction carried and kept (it began, ended, or rolled back to a savepoint). */
  private forgetCarried(): void {
    if (this.carriedValues.size > 0) this.carriedValues.clear();
    if (this.keptReads.size > 0) this.keptReads.clear();
  }

  /** Counts a write statement, and forgets the kept reads it may change. */
  private wrote(sqlText: string): void {
    this.writeStatements++;
    if (this.keptReads.size > 0 && !keepersOfReads.has(sqlText)) this.keptReads.clear();
  }

  /**
   * Runs a raw prepared statement in the write group whose unit the caller
   * is (see `writeGroupOf`): its rows (RETURNING included; none for other
   * writes) and how many rows it changed.
   */
  inGroup(
    sqlText: string,
    parameters: readonly unknown[],
  ): { rows: unknown[]; changes: number; lastInsertRowid?: number | bigint } {
    const statement = this.statement(sqlText);
    if (!statement.readonly) this.wrote(sqlText);
    if (statement.reader) return { rows: statement.all(...parameters), changes: 0 };
    const { changes, lastInsertRowid } = statement.run(...parameters);
    return { rows: [], changes, lastInsertRowid };
  }

  /**
   * `inGroup` for a read of at most one row, given as an array of its
   * values in the statement's column order (no row object to build).
   */
  inGroupRow(sqlText: string, parameters: readonly unknown[]): unknown[] | undefined {
    const statement = this.statement(sqlText, 'array');
    if (!statement.readonly) this.wrote(sqlText);
    return statement.get(...parameters) as unknown[] | undefined;
  }

  /** Runs one compiled query on the connection (the caller holds it). */
  execute(sqlText: string, parameters: readonly unknown[]): QueryResult<unknown> {
    const statement = this.kyselyStatement(sqlText);
    // Counted before it runs: an UPDATE … RETURNING is a reader too.
    if (!statement.readonly) this.wrote(sqlText);
    if (statement.reader) return { rows: statement.all(parameters) };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }
}

/**
 * Kysely's SQLite dialect over the executor. `locked`: every query or
 * transaction first takes the executor's lock; a transaction is
 * `BEGIN IMMEDIATE` (so a read-then-write cannot fail half-way on a snapshot
 * another process made stale), or a plain `BEGIN` read snapshot when it asks
 * for an isolation level (the lists' and copies' consistent reads).
 * `group`: the caller (a write group) holds the lock, the transaction and
 * the unit's savepoint (`runUnit`); its queries run as they come, and a
 * unit's Transaction cannot open another.
 */
class ExecutorDialect extends SqliteDialect {
  constructor(
    private readonly executor: SqliteExecutor,
    private readonly mode: 'locked' | 'group',
  ) {
    super({ database: executor.sqlite as never });
  }

  override createDriver(): Driver {
    return new ExecutorDriver(this.executor, this.mode);
  }
}

class ExecutorDriver implements Driver {
  private readonly connection: DatabaseConnection;

  constructor(
    private readonly executor: SqliteExecutor,
    private readonly mode: 'locked' | 'group',
  ) {
    const retry = mode === 'locked';
    this.connection = {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        const run = () => executor.execute(query.sql, query.parameters) as QueryResult<R>;
        return retry ? executor.retryBusy(run) : run();
      },
      streamQuery: () => {
        throw new Error('streaming is not supported by this store');
      },
    };
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.mode === 'locked') await this.executor.lock();
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (this.mode === 'group') throw new Error('a unit of a write group cannot begin another transaction');
    const begin = settings.isolationLevel ? 'BEGIN' : 'BEGIN IMMEDIATE';
    await this.executor.retryBusy(() => this.executor.sqlite.exec(begin));
  }

  async commitTransaction(): Promise<void> {
    await this.executor.retryBusy(() => this.executor.sqlite.exec('COMMIT'));
    this.executor.commits++;
  }

  async rollbackTransaction(): Promise<void> {
    if (this.executor.sqlite.inTransaction) this.executor.sqlite.exec('ROLLBACK');
  }

  async releaseConnection(): Promise<void> {
    if (this.mode === 'locked') this.executor.unlock();
  }

  async destroy(): Promise<void> {
    if (this.mode === 'locked') {
      this.executor.closeProbe();
      this.executor.sqlite.close();
    }
  }
}
