/**
 * A throwaway PostgreSQL server for the benchmark's PostgreSQL column, started
 * as scripts/test-pg.sh does (its own data directory in /tmp, loopback only,
 * a free port) but with the server's default durability (fsync and
 * synchronous_commit on), so its writes cost what they cost in production.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { childPids, statFields } from './proc.js';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { copySqliteToPostgres } from '../src/store/copy.js';
import { seedDatabase } from './seed.js';

export interface ThrowawayPostgres {
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** CPU time (user + system) the server's processes have used so far, in ms, exited backends included. */
  cpuMs(): number;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** What the throwaway server runs with beyond its defaults. */
export interface ThrowawayOptions {
  /**
   * Load pg_stat_statements (with planning tracked), so a bench can read what
   * each statement cost the server; off by default, as it costs a little a statement.
   */
  statements?: boolean;
}

/** Starts the server, or returns null (with the reason logged) when PostgreSQL is not installed. */
export async function startThrowawayPostgres(
  log: (line: string) => void,
  options: ThrowawayOptions = {},
): Promise<ThrowawayPostgres | null> {
  const versions = (() => {
    try {
      return readdirSync('/usr/lib/postgresql').sort();
    } catch {
      return [];
    }
  })();
  if (versions.length === 0) {
    log('PostgreSQL binaries not found in /usr/lib/postgresql: no PostgreSQL column');
    return null;
  }
  const bin = `/usr/lib/postgresql/${versions.at(-1)}/bin`;
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-pg-'));
  const root = process.getuid?.() === 0;
  if (root) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
  const asPg = (command: string) =>
    root ? execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', command]) : execFileSync('sh', ['-c', command]);
  const port = await freePort();
  const extra = options.statements
    ? ' -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on'
    : '';
  asPg(`'${bin}/initdb' -D '${dir}/data' -A trust -U postgres --no-sync >/dev/null`);
  asPg(
    `'${bin}/pg_ctl' -D '${dir}/data' -l '${dir}/log' -w -o "-p ${port} -k '${dir}' -c listen_addresses=127.0.0.1 -c max_connections=200${extra}" start >/dev/null`,
  );
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  log(`PostgreSQL ${versions.at(-1)} on port ${port}`);
  return {
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    cpuMs() {
      // The postmaster's own and reaped children's time (cutime, cstime), plus each live backend's.
      const postmaster = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      const ticks = (pid: number, withChildren: boolean) => {
        try {
          const f = statFields(pid);
          return Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
        } catch {
          return 0; // exited meanwhile
        }
      };
      let total = ticks(postmaster, true);
      for (const backend of childPids(postmaster)) total += ticks(backend, false);
      return total * 10;
    },
    stop() {
      try {
        asPg(`'${bin}/pg_ctl' -D '${dir}/data' -m fast stop >/dev/null`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Runs `work` on a throwaway PostgreSQL and stops the server afterwards,
 * whatever `work` did; exits 1 when none could be started (the reason is
 * already logged).
 */
export async function withThrowawayPostgres(
  log: (line: string) => void,
  work: (postgres: ThrowawayPostgres) => Promise<void>,
  options: ThrowawayOptions = {},
): Promise<void> {
  const postgres = await startThrowawayPostgres(log, options);
  if (!postgres) process.exit(1);
  try {
    await work(postgres);
  } finally {
    postgres.stop();
  }
}

/**
 * The benchmark's 1,000-conference seed (500 persons in its big conference)
 * copied into a new database `name` of `postgres`: its URL and what was seeded.
 */
export async function seededPostgres(postgres: ThrowawayPostgres, name: string) {
  const file = join(mkdtempSync(join(tmpdir(), `baton-${name}-`)), 'seed.db');
  const seeded = await seedDatabase(file, {
    conferences: 1_000,
    upcoming: 50,
    dataPersons: 500,
    smallPersons: 10,
    now: Date.now(),
  });
  const url = await postgres.createDatabase(name);
  const report = await copySqliteToPostgres(file, url);
  if (!report.ok) throw new Error('copy failed');
  return { url, seeded };
}
