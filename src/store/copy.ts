/**
 * `baton copy`: moves a whole SQLite installation into an empty PostgreSQL
 * database. The tables, their columns, keys and foreign keys are read from
 * the migrated target's catalog (so a table a later migration adds is copied
 * too), rows are copied parent tables first in batches inside one
 * transaction, sequences are moved past the copied ids, and before committing
 * every table is compared by row count and a SHA-256 over its rows in primary
 * key order, normalised to the same text on both sides. A mismatch rolls
 * everything back.
 */
import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { sql, type Kysely, type Transaction } from 'kysely';
import { isPostgresUrl, migrate, migrationNames, openStore } from './database.js';

/** One table's comparison. */
export interface TableCheck {
  table: string;
  sourceRows: number;
  targetRows: number;
  sourceChecksum: string;
  targetChecksum: string;
  ok: boolean;
}

export interface CopyReport {
  /** In copy (foreign-key) order. */
  tables: TableCheck[];
  /** Sequences moved past the copied ids: `table.column` → the next value. */
  sequences: Record<string, number>;
  ok: boolean;
  /** True when the rows were committed (a copy whose checks all passed). */
  committed: boolean;
}

export interface CopyOptions {
  /** Most rows per INSERT (fewer for wide tables: PostgreSQL takes at most 65,535 parameters). Default 500. */
  batchRows?: number;
  /** Compare the two databases without copying anything. */
  verifyOnly?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Rows copied so far of a table's total: first with 0, then after each batch. */
  progress?: (table: string, done: number, total: number) => void;
}

/** The copy cannot start: the message says why, and nothing was written. */
export class CopyRefused extends Error {}

/**
 * Bookkeeping: not data, and each side keeps its own (the migrations, and
 * SQLite's change log, which only its processes' caches read).
 */
const bookkeeping = (table: string) => table.startsWith('kysely_migration') || table === 'change_log';

interface Column {
  name: string;
  /** PostgreSQL's data_type: text columns are ordered by byte ("C") like SQLite's BINARY collation. */
  text: boolean;
}

interface TableShape {
  name: string;
  columns: Column[];
  /** Primary key columns in key order; every column when the table has none. */
  key: Column[];
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Copies `sourceFile` into the database at `targetUrl` (or only compares them) and reports per table. */
export async function copySqliteToPostgres(
  sourceFile: string,
  targetUrl: string,
  options: CopyOptions = {},
): Promise<CopyReport> {
  const log = options.log ?? (() => undefined);
  if (!isPostgresUrl(targetUrl)) throw new CopyRefused('--to must be a postgres:// or postgresql:// URL');
  if (!existsSync(sourceFile)) throw new CopyRefused(`${sourceFile}: no such SQLite file`);
  const source = new SqliteDatabase(sourceFile, { readonly: true, fileMustExist: true });
  const target = openStore(targetUrl, { poolMax: 1, statementTimeoutMs: 0 });
  try {
    checkSourceMigrations(source, sourceFile);
    // One read transaction on the source: every table is read from the same snapshot.
    source.exec('begin');
    if (!options.verifyOnly) {
      await refuseNonEmpty(target.db);
      log('migrating the target database');
      await migrate(target);
    }
    const db = target.db as unknown as Kysely<any>;
    const run = async (trx: Transaction<any>): Promise<CopyReport> => {
      const shapes = await readTargetShapes(trx);
      checkSameTables(source, shapes);
      const sequences: Record<string, number> = {};
      if (!options.verifyOnly) {
        for (const shape of shapes) {
          await copyTable(source, trx, shape, options.batchRows ?? 500, log, options.progress);
        }
        Object.assign(sequences, await advanceSequences(trx));
      }
      const tables: TableCheck[] = [];
      for (const shape of shapes) {
        log(`verifying ${shape.name}`);
        const [s, t] = [checksumSource(source, shape), await checksumTarget(trx, shape)];
        tables.push({
          table: shape.name,
          sourceRows: s.rows,
          targetRows: t.rows,
          sourceChecksum: s.checksum,
          targetChecksum: t.checksum,
          ok: s.rows === t.rows && s.checksum === t.checksum,
        });
      }
      const ok = tables.every((t) => t.ok);
      const report = { tables, sequences, ok, committed: ok && !options.verifyOnly };
      if (!ok && !options.verifyOnly) throw new RolledBack(report);
      return report;
    };
    try {
      return await db.transaction().setIsolationLevel('repeatable read').execute(run);
    } catch (error) {
      if (error instanceof RolledBack) return error.report;
      throw error;
    }
  } finally {
    if (source.inTransaction) source.exec('commit');
    source.close();
    await target.close();
  }
}

class RolledBack extends Error {
  constructor(readonly report: CopyReport) {
    super('verification failed');
  }
}

/** The source must have exactly the migrations this Baton knows: the target gets the same schema. */
function checkSourceMigrations(source: SqliteDatabase.Database, file: string): void {
  const hasTable = source
    .prepare(`select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'`)
    .get();
  if (!hasTable) throw new CopyRefused(`${file} is not a Baton database (it has no migration table)`);
  const applied = (source.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map(
    (r) => r.name,
  );
  const known = migrationNames();
  const unknown = applied.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new CopyRefused(`${file} was migrated by a newer Baton (${unknown.join(', ')}); copy with that version`);
  }
  const pending = known.filter((n) => !applied.includes(n));
  if (pending.length > 0) {
    throw new CopyRefused(
      `${file} lacks migrations ${pending.join(', ')}; run \`DATABASE_URL=${file} baton migrate\` first`,
    );
  }
}

/** Refuses a target where any table (besides migration bookkeeping) holds a row. */
async function refuseNonEmpty(db: Kysely<any>): Promise<void> {
  const tables = await sql<{ name: string }>`
    select c.relname as name from pg_class c
    where c.relnamespace = (select oid from pg_namespace where nspname = current_schema()) and c.relkind in ('r', 'p')
    order by c.relname`.execute(db);
  const full: string[] = [];
  for (const { name } of tables.rows) {
    if (bookkeeping(name)) continue;
    const row = await sql<{ any: number }>`select 1 as any from ${sql.raw(quote(name))} limit 1`.execute(db);
    if (row.rows.length > 0) full.push(name);
  }
  if (full.length > 0) {
    throw new CopyRefused(
      `the target database is not empty (rows in ${full.join(', ')}); copy into a new, empty database`,
    );
  }
}

/** Tables of the target's schema in foreign-key order (parents first), with columns and keys. */
async function readTargetShapes(db: Kysely<any>): Promise<TableShape[]> {
  const schema = sql`(select oid from pg_namespace where nspname = current_schema())`;
  const columns = await sql<{ table: string; column: string; type: string }>`
    select table_name as table, column_name as column, data_type as type from information_schema.columns
    where table_schema = current_schema() order by table_name, ordinal_position`.execute(db);
  const keys = await sql<{ table: string; column: string }>`
    select t.relname as table, a.attname as column from pg_index i
    join pg_class t on t.oid = i.indrelid
    join pg_attribute a on a.attrelid = t.oid and a.attnum = any(i.indkey)
    where i.indisprimary and t.relnamespace = ${schema}
    order by t.relname, array_position(i.indkey::int2[], a.attnum)`.execute(db);
  const references = await sql<{ child: string; parent: string }>`
    select c.relname as child, p.relname as parent from pg_constraint k
    join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
    where k.contype = 'f' and c.relnamespace = ${schema}`.execute(db);

  const shapes = new Map<string, TableShape>();
  for (const c of columns.rows) {
    if (bookkeeping(c.table)) continue;
    let shape = shapes.get(c.table);
    if (!shape) shapes.set(c.table, (shape = { name: c.table, columns: [], key: [] }));
    shape.columns.push({ name: c.column, text: ['text', 'character varying', 'character'].includes(c.type) });
  }
  for (const k of keys.rows) {
    const shape = shapes.get(k.table);
    const column = shape?.columns.find((c) => c.name === k.column);
    if (shape && column) shape.key.push(column);
  }
  for (const shape of shapes.values()) if (shape.key.length === 0) shape.key = shape.columns;

  // Kahn's algorithm, alphabetical among equals, so the order is stable.
  const parents = new Map([...shapes.keys()].map((t) => [t, new Set<string>()]));
  for (const r of references.rows) {
    if (r.child !== r.parent && shapes.has(r.parent)) parents.get(r.child)?.add(r.parent);
  }
  const ordered: TableShape[] = [];
  const remaining = new Set(shapes.keys());
  while (remaining.size > 0) {
    const ready = [...remaining].filter((t) => [...parents.get(t)!].every((p) => !remaining.has(p))).sort();
    if (ready.length === 0) throw new Error(`foreign keys form a cycle among ${[...remaining].join(', ')}`);
    for (const t of ready) {
      ordered.push(shapes.get(t)!);
      remaining.delete(t);
    }
  }
  return ordered;
}

/** Both sides must have the same tables with the same columns (the same migrations made them). */
function checkSameTables(source: SqliteDatabase.Database, shapes: readonly TableShape[]): void {
  const sourceTables = (
    source
      // A view too: SQLite's event_counters is one (migration 017), PostgreSQL's a table.
      .prepare(
        `select name from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%' order by name`,
      )
      .all() as { name: string }[]
  )
    .map((r) => r.name)
    .filter((t) => !bookkeeping(t));
  const targetTables = shapes.map((s) => s.name).sort();
  if (sourceTables.join() !== targetTables.join()) {
    throw new CopyRefused(
      `the databases have different tables: SQLite has ${sourceTables.join(', ')}; PostgreSQL has ${targetTables.join(', ')}`,
    );
  }
  for (const shape of shapes) {
    const sourceColumns = (source.prepare(`pragma table_info(${quote(shape.name)})`).all() as { name: string }[])
      .map((c) => c.name)
      .sort();
    const targetColumns = shape.columns.map((c) => c.name).sort();
    if (sourceColumns.join() !== targetColumns.join()) {
      throw new CopyRefused(
        `${shape.name} has different columns: SQLite ${sourceColumns.join(', ')}; PostgreSQL ${targetColumns.join(', ')}`,
      );
    }
  }
}

function sourceSelect(shape: TableShape): string {
  const columns = shape.columns.map((c) => quote(c.name)).join(', ');
  // BINARY is SQLite's byte order, the same as PostgreSQL's "C" collation.
  const order = shape.key.map((c) => `${quote(c.name)} collate binary nulls first`).join(', ');
  return `select ${columns} from ${quote(shape.name)} order by ${order}`;
}

async function copyTable(
  source: SqliteDatabase.Database,
  trx: Transaction<any>,
  shape: TableShape,
  batchRows: number,
  log: (line: string) => void,
  progress?: (table: string, done: number, total: number) => void,
): Promise<void> {
  const total = progress
    ? (source.prepare(`select count(*) as n from ${quote(shape.name)}`).get() as { n: number }).n
    : 0;
  progress?.(shape.name, 0, total);
  const perBatch = Math.max(1, Math.min(batchRows, Math.floor(60_000 / shape.columns.length)));
  const rows = source.prepare(sourceSelect(shape)).iterate() as IterableIterator<Record<string, unknown>>;
  let batch: Record<string, unknown>[] = [];
  let copied = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    try {
      await trx.insertInto(shape.name).values(batch).execute();
    } catch (error) {
      // E.g. text holding U+0000, which PostgreSQL cannot store: say where, then roll back.
      throw new Error(`copying ${shape.name} (rows ${copied + 1}–${copied + batch.length}) failed: ${String(error)}`, {
        cause: error,
      });
    }
    copied += batch.length;
    batch = [];
    progress?.(shape.name, copied, total);
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length >= perBatch) await flush();
  }
  await flush();
  log(`copied ${shape.name}: ${copied} rows`);
}

/** Moves every serial or identity column's sequence past the largest copied value. */
async function advanceSequences(trx: Transaction<any>): Promise<Record<string, number>> {
  const serials = await sql<{ table: string; column: string }>`
    select table_name as table, column_name as column from information_schema.columns
    where table_schema = current_schema() and (column_default like 'nextval(%' or is_identity = 'YES')
    order by table_name, column_name`.execute(trx);
  const next: Record<string, number> = {};
  for (const { table, column } of serials.rows) {
    if (bookkeeping(table)) continue;
    const result = await sql<{ next: number }>`
      select coalesce(max(${sql.raw(quote(column))}), 0) + 1 as next from ${sql.raw(quote(table))}`.execute(trx);
    const value = Number(result.rows[0]!.next);
    await sql`select setval(pg_get_serial_sequence(${quote(table)}, ${column}), ${value}, false)`.execute(trx);
    next[`${table}.${column}`] = value;
  }
  return next;
}

/** One row as the same text on both sides: a JSON array of its values in column order. */
function rowText(row: Record<string, unknown>, shape: TableShape): string {
  return JSON.stringify(
    shape.columns.map(({ name }) => {
      const v = row[name];
      if (v === undefined || v === null) return null;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'bigint') return Number(v);
      if (Buffer.isBuffer(v)) return { hex: v.toString('hex') };
      if (v instanceof Date) return v.getTime();
      return v;
    }),
  );
}

function checksumSource(source: SqliteDatabase.Database, shape: TableShape) {
  const hash = createHash('sha256');
  let rows = 0;
  for (const row of source.prepare(sourceSelect(shape)).iterate() as IterableIterator<Record<string, unknown>>) {
    hash.update(`${rowText(row, shape)}\n`);
    rows++;
  }
  return { rows, checksum: hash.digest('hex') };
}

/** Reads the target table through a cursor, in the source's order. */
async function checksumTarget(trx: Transaction<any>, shape: TableShape) {
  const hash: Hash = createHash('sha256');
  let rows = 0;
  const columns = shape.columns.map((c) => quote(c.name)).join(', ');
  const order = shape.key.map((c) => `${quote(c.name)}${c.text ? ' collate "C"' : ''} nulls first`).join(', ');
  await sql`declare baton_verify no scroll cursor for ${sql.raw(`select ${columns} from ${quote(shape.name)} order by ${order}`)}`.execute(
    trx,
  );
  for (;;) {
    const batch = await sql<Record<string, unknown>>`fetch forward 1000 from baton_verify`.execute(trx);
    for (const row of batch.rows) {
      hash.update(`${rowText(row, shape)}\n`);
      rows++;
    }
    if (batch.rows.length < 1000) break;
  }
  await sql`close baton_verify`.execute(trx);
  return { rows, checksum: hash.digest('hex') };
}
