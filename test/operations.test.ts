/**
 * Operations: health and readiness probes, and graceful shutdown of a real
 * server process (SIGTERM lets a request already in flight finish).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createCustomer } from '../src/domain/customers.js';
import { cryptoRandom } from '../src/random.js';
import pg from 'pg';
import { heartbeatLimitMs } from '../src/operations/health.js';
import { migrate, migrationNames, openStore } from '../src/store/database.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { startTestServer, type TestServer } from './harness.js';
import { callFunction, startServerProcess, type ServerProcess } from './process.js';

const getJson = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as unknown };
};

const ready = {
  status: 'ready',
  reasons: [],
  checks: { database: 'ok', migrations: 'ok', jobs: 'off' },
};

describe('/healthz and /readyz', () => {
  let server: TestServer;
  afterEach(() => server.close());

  it('answers alive (version, uptime) and ready while the database is reachable', async () => {
    server = await startTestServer();
    const alive = await getJson(`${server.url}/healthz`);
    expect(alive).toEqual({
      status: 200,
      body: { status: 'ok', version: '0.1.0', uptimeSeconds: expect.any(Number) },
    });
    expect(await getJson(`${server.url}/readyz`)).toEqual({ status: 200, body: ready });
  });

  it('answers /readyz with 503 once the database is closed, while /healthz stays 200', async () => {
    server = await startTestServer();
    await server.services.store.close();
    expect(await getJson(`${server.url}/readyz`)).toEqual({
      status: 503,
      body: {
        status: 'not ready',
        reasons: ['database unreachable'],
        checks: { database: 'unreachable', migrations: 'unknown', jobs: 'off' },
      },
    });
    expect((await getJson(`${server.url}/healthz`)).status).toBe(200);
  });

  it('answers /readyz with 503 while a migration is pending, naming it', async () => {
    server = await startTestServer();
    const last = migrationNames().at(-1)!;
    await server.services.store.db
      .deleteFrom('kysely_migration' as never)
      .where('name' as never, '=', last as never)
      .execute();
    const answer = await getJson(`${server.url}/readyz`);
    expect(answer).toMatchObject({ status: 503, body: { reasons: [`migrations pending: ${last}`] } });
  });

  it('turns 503 when the job runner misses its heartbeat or is stopped, and 200 again after a pass', async () => {
    const intervalMs = 30_000;
    server = await startTestServer({ jobs: true, jobIntervalMs: intervalMs });
    const jobs = server.jobs!;
    jobs.start();
    // The first pass is on a timer of 0 ms: wait until it has finished.
    await vi.waitFor(() => expect(jobs.heartbeat().lastPassAt).not.toBeNull(), { timeout: 10_000 });
    // The first pass ran at once: the heartbeat is fresh.
    expect(await getJson(`${server.url}/readyz`)).toEqual({
      status: 200,
      body: { ...ready, checks: { ...ready.checks, jobs: 'ok' } },
    });

    // No pass for three intervals and a minute (the timer is real, the clock is the test's).
    server.clock.advance(heartbeatLimitMs(intervalMs) + 1000);
    const stale = await getJson(`${server.url}/readyz`);
    expect(stale).toEqual({
      status: 503,
      body: {
        status: 'not ready',
        reasons: ['job runner heartbeat stale: last pass 151 s ago, due every 30 s'],
        checks: { database: 'ok', migrations: 'ok', jobs: 'stale' },
      },
    });

    await jobs.runOnce();
    expect((await getJson(`${server.url}/readyz`)).status).toBe(200);

    await jobs.stop();
    expect(await getJson(`${server.url}/readyz`)).toMatchObject({
      status: 503,
      body: { reasons: ['job runner stopped'], checks: { jobs: 'stopped' } },
    });
  });

  it.skipIf(!process.env.BATON_TEST_PG_URL)(
    'answers /readyz with 503 while PostgreSQL refuses connections, and 200 once it takes them again (PostgreSQL only)',
    async () => {
      server = await startTestServer();
      expect((await getJson(`${server.url}/readyz`)).status).toBe(200);
      const name = new URL(server.database.url).pathname.slice(1);
      const admin = new pg.Client({ connectionString: process.env.BATON_TEST_PG_URL });
      await admin.connect();
      try {
        await admin.query(`alter database ${name} allow_connections false`);
        await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [name]);
        const away = await getJson(`${server.url}/readyz`);
        expect(away).toMatchObject({ status: 503, body: { reasons: ['database unreachable'] } });
        expect((await getJson(`${server.url}/healthz`)).status).toBe(200);

        await admin.query(`alter database ${name} allow_connections true`);
        expect(await getJson(`${server.url}/readyz`)).toEqual({ status: 200, body: ready });
        expect((await server.call('getCustomer')).code).toBe(0);
      } finally {
        await admin.query(`alter database ${name} allow_connections true`).catch(() => undefined);
        await admin.end();
      }
    },
  );

  it.skipIf(!process.env.BATON_TEST_PG_URL)(
    'answers /readyz with 503 when the PostgreSQL database is dropped under it, and the process keeps running (PostgreSQL only)',
    async () => {
      server = await startTestServer();
      expect((await getJson(`${server.url}/readyz`)).status).toBe(200);
      // Terminates the pool's open connections too: the pool must not crash the process.
      await server.database.drop();
      expect(await getJson(`${server.url}/readyz`)).toMatchObject({
        status: 503,
        body: { status: 'not ready', reasons: ['database unreachable'] },
      });
      const answer = await server.call('getCustomer');
      expect(answer.code).toBe(-3);
      expect((await getJson(`${server.url}/healthz`)).status).toBe(200);
    },
  );
});

describe('graceful shutdown of a server process', () => {
  let database: TestDatabase;
  let server: ServerProcess | undefined;
  let credentials: { customer: string; key: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    const store = openStore(database.url, { poolMax: 1 });
    try {
      await migrate(store);
      const config = loadConfig({ DATABASE_URL: database.url });
      const { customer, key } = await createCustomer(
        { store, clock: systemClock, random: cryptoRandom, config },
        { name: 'Shutdown', did: '+1 555 0142' },
      );
      credentials = { customer: customer.uid, key };
    } finally {
      await store.close();
    }
  });
  afterAll(async () => {
    await server?.stop();
    await database.drop();
  });

  it('finishes a request that is in flight when SIGTERM arrives, then exits 0', async () => {
    // Two workers, so the request's worker and the primary that runs its command both shut down around it.
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'debug', TRUST_PROXY: '127.0.0.1', WORKERS: '2' };
    server = await startServerProcess(env);
    const created = await callFunction(server.url, 'createConferenceReservationless', { ...credentials, name: 'Last' });
    expect(created.code).toBe(0);

    // A slow client: the headers and half of the body now, the rest after SIGTERM.
    const body = new URLSearchParams({
      ...credentials,
      type: 'json',
      conference: created.value.UID,
      role: 'PARTICIPANT',
      name: 'Late Arrival',
    }).toString();
    const half = Math.floor(body.length / 2);
    const answer = new Promise<{ status: number; connection?: string; text: string }>((resolve, reject) => {
      const req = request(`${server!.url}/_access/addPerson`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': body.length,
          'x-request-id': 'late-arrival',
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, half));
      // The server has the request (it logs its arrival at debug level) before the signal is sent.
      void server!
        .waitForStdout('"reqId":"late-arrival"')
        .then(() => {
          server!.child.kill('SIGTERM');
          // Every worker says so once it has the signal; the rest of the body goes once both have it.
          return vi.waitFor(
            () => expect(server!.stderr().split('SIGTERM: finishing in-flight requests')).toHaveLength(3),
            { timeout: 20_000, interval: 20 },
          );
        })
        .then(() => req.end(body.slice(half)), reject);
    });

    const { status, connection, text } = await answer;
    expect(status).toBe(200);
    // A keep-alive client is told to reconnect (elsewhere) rather than hold the process open.
    expect(connection).toBe('close');
    const envelope = JSON.parse(text);
    expect(envelope.code).toBe(0);
    expect(envelope.value).toMatchObject({ name: 'Late Arrival', role: 'PARTICIPANT' });
    expect(await server.exited).toBe(0);

    // The person was written before the database closed.
    const store = openStore(database.url, { poolMax: 1 });
    try {
      const row = await store.db
        .selectFrom('persons')
        .select('name')
        .where('uid', '=', envelope.value.UID)
        .executeTakeFirst();
      expect(row).toEqual({ name: 'Late Arrival' });
    } finally {
      await store.close();
    }
  });
});

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('the systemd unit in docs/operations.md', () => {
  it.skipIf(!hasSystemdAnalyze)('passes systemd-analyze verify', () => {
    const doc = readFileSync(new URL('../docs/operations.md', import.meta.url), 'utf8');
    const unit = /```ini\n# \/etc\/systemd\/system\/baton\.service\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(unit).toContain('ExecStart=');
    const dir = mkdtempSync(join(tmpdir(), 'baton-unit-'));
    try {
      writeFileSync(join(dir, 'baton.service'), unit!);
      const run = spawnSync('systemd-analyze', ['verify', join(dir, 'baton.service')], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
