/** What a DATABASE_URL names, without opening it (config.ts checks it with these, the store opens it). */
import { fileURLToPath } from 'node:url';

/** True for a `postgres://` or `postgresql://` URL; anything else is a SQLite file path. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * The SQLite file a DATABASE_URL names: a path as it is, or behind `sqlite:` or `file:` (`sqlite:data/b.db`,
 * `file:./b.db`), or a file URL (`file:///var/lib/b%20c.db`, percent-decoded). Throws for a file URL of
 * another host, which this machine cannot open. (`sqlite://…` is refused by config.ts: its libraries
 * disagree on how many slashes make a path absolute.)
 */
export function sqliteFileOf(url: string): string {
  if (/^file:\/\//i.test(url)) return fileURLToPath(url);
  return url.replace(/^(sqlite|file):/i, '');
}

/** True for a SQLite database in memory (`:memory:`): it lives in the one process that opened it. */
export function isMemoryDatabase(url: string): boolean {
  return !isPostgresUrl(url) && sqliteFileOf(url) === ':memory:';
}
