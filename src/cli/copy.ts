/** `baton copy`: moving a SQLite installation up to PostgreSQL. */
import type { Command } from 'commander';
import type { CopyReport } from '../store/copy.js';
import { startProgress, type Progress } from './progress.js';

/** The report as a table: one line per table, then the verdict. */
export function formatCopyReport(report: CopyReport, verifyOnly: boolean): string {
  const head = ['table', 'rows (sqlite)', 'rows (postgres)', 'sha-256 (sqlite)', 'sha-256 (postgres)', 'result'];
  const lines = report.tables.map((t) => [
    t.table,
    String(t.sourceRows),
    String(t.targetRows),
    t.sourceChecksum.slice(0, 16),
    t.targetChecksum.slice(0, 16),
    t.ok ? 'ok' : 'MISMATCH',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [row(head), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row), ''];
  for (const [sequence, next] of Object.entries(report.sequences)) out.push(`sequence ${sequence} next value ${next}`);
  if (verifyOnly) {
    out.push(report.ok ? 'the databases hold the same rows' : 'the databases differ');
  } else {
    out.push(
      report.committed
        ? 'copied and verified: every table matches'
        : 'verification failed: the copy was rolled back and the target is left empty',
    );
  }
  return `${out.join('\n')}\n`;
}

export function registerCopyCommand(program: Command): void {
  program
    .command('copy')
    .description(
      'copy a SQLite installation into an empty PostgreSQL database in one transaction, verified by row counts and a SHA-256 per table',
    )
    .requiredOption('--from <file>', 'the SQLite database file (stop the servers using it first)')
    .requiredOption('--to <url>', 'postgres://… of an empty database (it is migrated first)')
    .option('--batch-size <rows>', 'rows per INSERT', (v) => Number.parseInt(v, 10), 500)
    .option('--verify-only', 'compare the two databases table by table without copying')
    .action(async (opts: { from: string; to: string; batchSize: number; verifyOnly?: boolean }) => {
      if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1 || opts.batchSize > 10_000) {
        throw new Error('--batch-size must be a whole number from 1 to 10000');
      }
      // Loaded on demand, like the other database commands.
      const { copySqliteToPostgres } = await import('../store/copy.js');
      // Progress per table on stderr: redrawn in place on a terminal, a line per tenth otherwise.
      let current: { table: string; progress: Progress } | undefined;
      const report = await copySqliteToPostgres(opts.from, opts.to, {
        batchRows: opts.batchSize,
        verifyOnly: opts.verifyOnly,
        log: (line) => {
          current?.progress.finish();
          current = undefined;
          process.stderr.write(`${line}\n`);
        },
        progress: (table, done, total) => {
          if (current?.table !== table) {
            current?.progress.finish();
            current = { table, progress: startProgress(process.stderr, `copying ${table}`, 'rows', total) };
          }
          current.progress.update(done);
        },
      });
      current?.progress.finish();
      process.stdout.write(formatCopyReport(report, Boolean(opts.verifyOnly)));
      if (!report.ok) process.exitCode = 1;
    });
}
