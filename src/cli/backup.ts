/** `baton backup`: a consistent copy of a live SQLite database. */
import type { Command } from 'commander';
import { startProgress, type Progress } from './progress.js';

export function registerBackupCommand(program: Command): void {
  program
    .command('backup <file>')
    .description("copy the SQLite database (DATABASE_URL) to <file> with SQLite's online backup, while servers run")
    .action(async (file: string) => {
      // Loaded on demand, like the other database commands.
      const [{ loadConfig }, { backupSqlite }, { isPostgresUrl, sqliteFileOf }] = await Promise.all([
        import('../config.js'),
        import('../store/backup.js'),
        import('../store/database-url.js'),
      ]);
      const { databaseUrl } = loadConfig();
      if (isPostgresUrl(databaseUrl)) {
        throw new Error('DATABASE_URL is PostgreSQL: back it up with pg_dump (see docs/operations.md)');
      }
      let progress: Progress | undefined;
      const pages = await backupSqlite(sqliteFileOf(databaseUrl), file, (done, total) => {
        progress ??= startProgress(process.stderr, 'backing up', 'pages', total);
        progress.update(done);
      });
      progress?.finish();
      process.stdout.write(`backed up ${databaseUrl} to ${file} (${pages} pages)\n`);
    });
}
