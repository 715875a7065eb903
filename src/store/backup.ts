/**
 * `baton backup`: SQLite's online backup API (through better-sqlite3), so a
 * consistent copy of a live database needs no extra tools and no downtime.
 * PostgreSQL has pg_dump for this.
 */
import { existsSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';

/** Copies the SQLite database `file` to `destination` (which must not exist) while it may be in use; returns its page count. */
export async function backupSqlite(file: string, destination: string): Promise<number> {
  if (!existsSync(file)) throw new Error(`${file}: no such SQLite file`);
  if (existsSync(destination)) throw new Error(`${destination} exists; back up to a new file`);
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const { totalPages } = await db.backup(destination);
    return totalPages;
  } finally {
    db.close();
  }
}
