/**
 * Progress of long commands: the reporter's lines, then the real `baton
 * backup` and `baton copy` on a 100,000-row database — under a pseudo-terminal
 * (`script`) a line redrawn in place, piped plain lines at each tenth.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/cli.js';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { migrate, openStore } from '../store/database.js';
import { formatDuration, progressText, startProgress } from './progress.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rows = 100_000;

/** Runs `baton …args` under a pseudo-terminal; resolves with everything the terminal showed. */
function runOnTerminal(args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  const command = ['node', '--import', 'tsx', 'src/cli/main.ts', ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 120_000, maxBuffer: 64 << 20 },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout }),
    );
  });
}

describe('progress lines', () => {
  it('says done/total, percent, rate and time left', () => {
    expect(progressText('copying persons', 'rows', 25_000, 100_000, 5000)).toBe(
      'copying persons: 25000/100000 rows (25%), 5000 rows/s, ETA 15 s',
    );
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(3720)).toBe('1 h 2 min');
  });

  it('writes a plain line at each tenth when not on a terminal, and a last line', () => {
    const out: string[] = [];
    let t = 0;
    const progress = startProgress({ write: (s) => out.push(s) }, 'copying x', 'rows', 100, () => t);
    for (let done = 0; done <= 100; done += 5) {
      t += 100;
      progress.update(done);
    }
    progress.finish();
    expect(out).toHaveLength(10);
    expect(out[0]).toBe('copying x: 10/100 rows (10%), 33 rows/s, ETA 3 s\n');
    expect(out.at(-1)).toBe('copying x: 100/100 rows in 2 s\n');
    expect(out.join('')).not.toContain('\r');
  });

  it('redraws one line in place on a terminal, at most every 100 ms', () => {
    const out: string[] = [];
    let t = 0;
    const progress = startProgress({ write: (s) => out.push(s), isTTY: true }, 'copying x', 'rows', 100, () => t);
    for (let done = 1; done <= 100; done++) {
      t += 10;
      progress.update(done);
    }
    progress.finish();
    // Every tenth draw (100 ms apart), the last update, and the final line.
    expect(out.length).toBe(12);
    expect(out.every((s) => s.startsWith('\r\x1b[2K'))).toBe(true);
    expect(out.at(-1)).toBe('\r\x1b[2Kcopying x: 100/100 rows in 1 s\n');
  });
});

describe('baton backup and baton copy on a 100,000-row database', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-progress-'));
    file = join(dir, 'big.db');
    const store = openStore(file);
    await migrate(store);
    await store.close();
    // 100,000 queued messages: the widest table, filled directly.
    const sqlite = new SqliteDatabase(file);
    const insert = sqlite.prepare(
      `insert into mail_queue (uid, customer_uid, kind, recipient, subject, message, status, next_attempt_at, created_at)
       values (?, 'CUSTOMER00000001', 'confirmation', ?, 'Hello', '{"to":"x"}', 'sent', 0, ?)`,
    );
    sqlite.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run(`M${String(i).padStart(15, '0')}`, `p${i}@example.com`, i);
    })();
    sqlite.close();
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('baton backup, piped: plain progress lines, then the report', async () => {
    const run = await runCli(['backup', join(dir, 'piped.db')], { DATABASE_URL: file });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('\r');
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('backing up: '));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines[0]).toMatch(/^backing up: \d+\/\d+ pages \(\d+%\), \d+ pages\/s, ETA /);
    expect(lines.at(-1)).toMatch(/^backing up: (\d+)\/\1 pages in /);
    expect(run.stdout).toMatch(/^backed up .* \(\d+ pages\)\n$/);
  }, 120_000);

  it('baton backup on a terminal: one line redrawn in place', async () => {
    const run = await runOnTerminal(['backup', join(dir, 'terminal.db')], { DATABASE_URL: file });
    expect(run.code).toBe(0);
    expect(run.output).toContain('\r\x1b[2Kbacking up: ');
    expect(run.output).toMatch(/backing up: (\d+)\/\1 pages in /);
  }, 120_000);

  describe.skipIf(!process.env.BATON_TEST_PG_URL)('baton copy (PostgreSQL only)', () => {
    const targets: TestDatabase[] = [];
    afterAll(async () => {
      for (const t of targets) await t.drop();
    });

    it('on a terminal shows each table redrawn in place with rows, rate and ETA', async () => {
      const target = await createTestDatabase('postgres');
      targets.push(target);
      const run = await runOnTerminal(['copy', '--from', file, '--to', target.url]);
      expect(run.code).toBe(0);
      expect(run.output).toMatch(/\r\x1b\[2Kcopying mail_queue: \d+\/100000 rows \(\d+%\), \d+ rows\/s, ETA /);
      expect(run.output).toContain('copying mail_queue: 100000/100000 rows in ');
      expect(run.output).toContain('copied and verified: every table matches');
    }, 180_000);

    it('piped prints plain lines at each tenth', async () => {
      const target = await createTestDatabase('postgres');
      targets.push(target);
      const run = await runCli(['copy', '--from', file, '--to', target.url]);
      expect(run.code).toBe(0);
      expect(run.stderr).not.toContain('\r');
      const lines = run.stderr.split('\n').filter((l) => l.startsWith('copying mail_queue: '));
      expect(lines.map((l) => /\((\d+)%\)/.exec(l)?.[1] ?? 'done')).toEqual([
        '10',
        '20',
        '30',
        '40',
        '50',
        '60',
        '70',
        '80',
        '90',
        'done',
      ]);
      expect(lines.at(-1)).toMatch(/^copying mail_queue: 100000\/100000 rows in /);
      expect(run.stdout).toContain('copied and verified: every table matches');
    }, 180_000);
  });
});
