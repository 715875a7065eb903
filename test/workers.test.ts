/**
 * WORKERS: `baton serve` as several processes on one database (SQLite file,
 * or PostgreSQL under `npm run test:pg`). Whatever one worker writes, the
 * next request to another sees; a worker killed mid-batch loses no write it
 * acknowledged.
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/database.js';
import { runCli } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import {
  callOnNewConnection,
  startServerProcess,
  startWorkers,
  type ServerProcess,
  type WorkersUnderTest,
} from './process.js';

describe('baton serve with WORKERS=2', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let store: Store;
  let credentials: { customer: string; key: string };

  let workers: WorkersUnderTest;

  beforeAll(async () => {
    workers = await startWorkers({ name: 'Workers', did: '+1 555 0142' });
    ({ database, server, store, credentials } = workers);
  }, 60_000);
  afterAll(() => workers?.stop());

  const call = (fn: string, params: Record<string, string>) =>
    callOnNewConnection(server.url, fn, { ...credentials, ...params });

  it('shows a person added through one worker in the next getConference on the other', async () => {
    const conference = (await call('createConferenceReservationless', {})).value.UID as string;
    const added: string[] = [];
    for (let i = 0; i < 20; i++) {
      const person = await call('addPerson', { conference, role: 'PARTICIPANT', name: `W${i}` });
      expect(person.code).toBe(0);
      added.push(person.value.UID as string);
      // The next connection goes to the other worker.
      const view = await call('getConference', { conferenceUID: conference });
      expect(view.value.persons).toEqual(added);
    }
  });

  it('refuses a key revoked by the CLI in another process on the next request to every worker', async () => {
    const extra = await runCli(['key', 'create', credentials.customer, '--json'], { DATABASE_URL: database.url });
    const key = (JSON.parse(extra.stdout) as { key: string }).key;
    // Both workers authenticate the key (and may keep it cached).
    for (let i = 0; i < 4; i++) {
      expect((await call('getCustomer', { key })).code).toBe(0);
    }
    const revoked = await runCli(['key', 'revoke', credentials.customer, key], { DATABASE_URL: database.url });
    expect(revoked.code).toBe(0);
    for (let i = 0; i < 4; i++) {
      expect(await call('getCustomer', { key })).toEqual({ code: -5, message: 'invalid customer key', value: null });
    }
  });

  it('loses no acknowledged addPerson when a worker is killed with SIGKILL mid-batch', async () => {
    const conference = (await call('createConferenceReservationless', {})).value.UID as string;
    const pid = Number(/worker 1 listening \(pid (\d+)\)/.exec(server.stdout())![1]);
    const acknowledged: string[] = [];
    let failed = 0;
    const batch = Array.from({ length: 300 }, (_, i) =>
      call('addPerson', { conference, role: 'PARTICIPANT', name: `K${i}` }).then(
        (answer) => {
          if (answer.code === 0) acknowledged.push(answer.value.UID as string);
          else failed++;
        },
        () => failed++,
      ),
    );
    // Kill worker 1 once part of the batch has been answered.
    while (acknowledged.length < 30) await new Promise((resolve) => setTimeout(resolve, 5));
    process.kill(pid, 'SIGKILL');
    await Promise.all(batch);
    expect(acknowledged.length).toBeGreaterThan(30);
    const stored = await store.db
      .selectFrom('persons')
      .select('uid')
      .where('conference_uid', '=', conference)
      .execute();
    const storedUids = new Set(stored.map((r) => r.uid));
    expect(acknowledged.filter((uid) => !storedUids.has(uid))).toEqual([]);
    // The primary replaces the dead worker; the server keeps answering.
    await server.waitForStderr(`worker 1 (pid ${pid}) exited (SIGKILL)`);
    while (server.stdout().split('worker 1 listening').length < 3) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const after = await call('getConference', { conferenceUID: conference });
    expect(after.code).toBe(0);
    expect(after.value.persons.length).toBe(stored.length);
    expect(failed + acknowledged.length).toBe(300);
  }, 60_000);
});

describe('baton serve with WORKERS=2: throttles', () => {
  let workers: WorkersUnderTest;
  beforeAll(async () => {
    workers = await startWorkers({ name: 'Throttled workers', did: '+1 555 0143' }, undefined, {
      AUTH_FAILURE_LIMIT: '30',
    });
  }, 60_000);
  afterAll(() => workers?.stop());

  it('allows AUTH_FAILURE_LIMIT failed authentications once across both workers, not once on each', async () => {
    // A connection per attempt: the primary hands them to the workers in turn, 15 failures each.
    // Counted in each worker's memory alone (SQLite), neither reached 30 and the right key still worked.
    const limit = 30;
    for (let i = 0; i < limit; i++) {
      const failed = await workers.call('getCustomer', { key: '0'.repeat(32) });
      expect(failed).toEqual({ code: -5, message: 'invalid customer key', value: null });
    }
    // The last failure reaches the other worker through the primary a moment after its answer: wait
    // for the first refusal, then every later attempt, on either worker, is refused too.
    let first = await workers.call('getCustomer', {});
    for (let i = 0; i < 200 && first.code === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      first = await workers.call('getCustomer', {});
    }
    expect(first.code).toBe(-5);
    for (let i = 0; i < 6; i++) {
      const refused = await workers.call('getCustomer', {});
      expect(refused.code).toBe(-5);
      expect(refused.message).toMatch(/too many failures from your address; retry in \d+ s/);
    }
  });
});

describe('baton serve with WORKERS=1', () => {
  const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const workerPid = (server: ServerProcess, nth = 1) =>
    Number([...server.stdout().matchAll(/worker 1 listening \(pid (\d+)\)/g)][nth - 1]![1]);

  it('serves from one worker forked with the heap options, and replaces it when it dies', async () => {
    const workers = await startWorkers({ name: 'One worker', did: '+1 555 0144' }, undefined, { WORKERS: '1' });
    try {
      const { server } = workers;
      expect(server.stdout()).toContain('(1 worker)');
      const pid = workerPid(server);
      expect(pid).not.toBe(server.child.pid);
      expect(cmdline(pid)).toEqual(expect.arrayContaining(['--max-semi-space-size=4', '--heap-growing-percent=50']));

      const conference = (await workers.call('createConferenceReservationless', {})).value.UID as string;
      const person = await workers.call('addPerson', { conference, role: 'PARTICIPANT', name: 'Solo' });
      expect(person.code).toBe(0);
      process.kill(pid, 'SIGKILL');
      while (server.stdout().split('worker 1 listening').length < 3) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // The new worker sees what the dead one committed.
      const view = await workers.call('getConference', { conferenceUID: conference });
      expect(view.value.persons).toEqual([person.value.UID]);
      expect(workerPid(server, 2)).not.toBe(pid);
    } finally {
      await workers.stop();
    }
  }, 60_000);

  it('stays one process when the operator gave the heap options', async () => {
    const database = await createTestDatabase();
    const server = await startServerProcess({ DATABASE_URL: database.url, WORKERS: '1', JOB_INTERVAL_SECONDS: '0' }, [
      '--max-semi-space-size=8',
      '--heap_growing_percent=40',
    ]);
    try {
      expect(server.stdout()).not.toContain('worker 1 listening');
      // The process made the first customer of the empty database and answers as it.
      const customer = /^ +customer: +(\S+)$/m.exec(server.stdout())![1]!;
      const key = /^ +key: +(\S+)$/m.exec(server.stdout())![1]!;
      const answer = await callOnNewConnection(server.url, 'getCustomer', { customer, key });
      expect(answer.code).toBe(0);
    } finally {
      await server.stop();
      await database.drop();
    }
  }, 60_000);

  it('serves a memory database from the one process that made its first customer', async () => {
    // Not WORKERS: the default (the cores) would give every process a database of its own.
    const server = await startServerProcess({ DATABASE_URL: ':memory:', JOB_INTERVAL_SECONDS: '0' });
    try {
      expect(server.stdout()).not.toContain('worker 1 listening');
      const customer = /^ +customer: +(\S+)$/m.exec(server.stdout())![1]!;
      const key = /^ +key: +(\S+)$/m.exec(server.stdout())![1]!;
      const created = await callOnNewConnection(server.url, 'createConferenceReservationless', {
        customer,
        key,
        name: 'In memory',
      });
      expect(created.code).toBe(0);
      const answer = await callOnNewConnection(server.url, 'getConference', {
        customer,
        key,
        conferenceUID: created.value.UID,
      });
      expect(answer.code).toBe(0);
      expect(server.stderr()).not.toMatch(/no such table|"level":50/);
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('baton serve on a port that is taken', () => {
  it('exits 1 with the reason in every layout, instead of waiting or starting workers again', async () => {
    // Any listener holds the port: here a bare TCP server.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = String((holder.address() as AddressInfo).port);
    const database = await createTestDatabase();
    try {
      for (const [layout, args] of [
        ['two workers', { WORKERS: '2' }],
        ['one worker', { WORKERS: '1' }],
      ] as const) {
        const run = await runCli(['serve'], {
          DATABASE_URL: database.url,
          PORT: port,
          JOB_INTERVAL_SECONDS: '0',
          ...args,
        });
        expect(run.code, layout).toBe(1);
        expect(run.stderr, layout).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
        expect(run.stderr, layout).not.toContain('starting another');
        expect(run.stderr, layout).not.toMatch(/\n\s+at /);
        expect(run.stdout, layout).not.toContain('Baton listening');
      }
    } finally {
      holder.close();
      await database.drop();
    }
  }, 120_000);
});
