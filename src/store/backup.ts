/**
 * `baton backup`: SQLite's online backup API (through better-sqlite3), so a
 * consistent copy of a live database needs no extra tools and no downtime.
 * PostgreSQL has pg_dump for this.
 */
import { existsSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';

/** Copies the SQLite database `file` to `destination` (which must not exist) while it may be in use; returns its page count. */
export async function backupSqlite(
  file: string,
  destination: string,
  progress?: (donePages: number, totalPages: number) => void,
): Promise<number> {
  if (!existsSync(file)) throw new Error(`${file}: no such SQLite file`);
  if (existsSync(destination)) throw new Error(`${destination} exists; back up to a new file`);
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const { totalPages } = await db.backup(destination, {
      // Called after each step; the answer is the next step's size (better-sqlite3's default, 100 pages).
      progress: ({ totalPages: total, remainingPages }) => {
        progress?.(total - remainingPages, total);
        return 100;
      },
    });
    // The callback runs between steps only: say the last one is done too.
    progress?.(totalPages, totalPages);
    return totalPages;
  } finally {
    db.close();
  }
}
