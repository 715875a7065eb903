/** `baton backup`: a consistent copy of a live SQLite database. */
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { backupSqlite } from '../store/backup.js';
import { isPostgresUrl } from '../store/database.js';

export function registerBackupCommand(program: Command): void {
  program
    .command('backup <file>')
    .description("copy the SQLite database (DATABASE_URL) to <file> with SQLite's online backup, while servers run")
    .action(async (file: string) => {
      const { databaseUrl } = loadConfig();
      if (isPostgresUrl(databaseUrl)) {
        throw new Error('DATABASE_URL is PostgreSQL: back it up with pg_dump (see docs/operations.md)');
      }
      const pages = await backupSqlite(databaseUrl.replace(/^sqlite:(\/\/)?/i, ''), file);
      process.stdout.write(`backed up ${databaseUrl} to ${file} (${pages} pages)\n`);
    });
}
