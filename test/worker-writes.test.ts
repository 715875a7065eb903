/**
 * With SQLite and WORKERS=2 every worker writes its own commands, taking
 * turns with the cluster's write token: a command sent to either worker is
 * answered alike — successes, refusals, function codes, idempotent repeats
 * and a busy database's -3 — the two workers' writes never collide or lose
 * a number of the event log, a write from outside the cluster (the CLI) is
 * retried, not lost, and a worker killed holding the token loses nothing it
 * acknowledged while the token comes back for the others.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/database.js';
import { runCli } from './cli.js';
import type { TestDatabase } from './database.js';
import { callOnNewConnection, startWorkers, type ServerProcess, type WorkersUnderTest } from './process.js';

describe('SQLite with WORKERS=2: every worker writes, in turns', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let store: Store;
  let credentials: { customer: string; key: string };

  let workers: WorkersUnderTest;

  beforeAll(async () => {
    workers = await startWorkers({ name: 'Worker writes', did: '+1 555 0143' }, 'sqlite');
    ({ database, server, store, credentials } = workers);
  }, 60_000);
  afterAll(() => workers?.stop());

  const call = (fn: string, params: Record<string, string>, headers?: Record<string, string>) =>
    callOnNewConnection(server.url, fn, { ...credentials, ...params }, headers);
  /** The same call twice, on consecutive connections: one reaches each worker. */
  const twice = async (fn: string, params: Record<string, string>, headers?: Record<string, string>) => [
    await call(fn, params, headers),
    await call(fn, params, headers),
  ];
  const personsOf = async (conference: string) =>
    (await store.db.selectFrom('persons').select('uid').where('conference_uid', '=', conference).execute()).map(
      (r) => r.uid,
    );

  /** Kills workers by index (SIGKILL), remembering which, and counts each one's "listening" lines. */
  const workerKiller = () => {
    const pidOf = (index: number) => {
      const all = [...server.stdout().matchAll(new RegExp(`worker ${index} listening \\(pid (\\d+)\\)`, 'g'))];
      return Number(all.at(-1)![1]);
    };
    const listening = (index: number) => server.stdout().split(`worker ${index} listening`).length - 1;
    const killed: number[] = [];
    const killWorker = async (index: number) => {
      const pid = pidOf(index);
      killed.push(index);
      process.kill(pid, 'SIGKILL');
      await server.waitForStderr(`worker ${index} (pid ${pid}) exited (SIGKILL)`);
    };
    return { listening, killed, killWorker };
  };

  it('answers refusals and function codes through either worker exactly alike', async () => {
    const conference = (await call('createConferenceReservationless', {})).value.UID as string;
    const cases: [string, Record<string, string>, { code: number; message: string | RegExp }][] = [
      ['addPerson', { conference: 'NOSUCHCONFERENCE', role: 'PARTICIPANT' }, { code: -2, message: /NOSUCHCONFERENCE/ }],
      ['addPerson', { conference }, { code: -2, message: /role/ }],
      ['addPerson', { conference, role: 'DANCER' }, { code: -2, message: /role/ }],
      ['cancelConference', { conference: 'NOSUCHCONFERENCE' }, { code: 1, message: /./ }],
      ['updateConference', { conference, field: 'nonsense', value: 'x' }, { code: 2, message: /./ }],
    ];
    for (const [fn, params, expected] of cases) {
      const [first, second] = await twice(fn, params);
      expect(first).toEqual(second);
      expect(first!.code).toBe(expected.code);
      expect(first!.message).toMatch(expected.message);
      expect(first!.value).toBeNull();
    }
    // Nothing was written by any of them.
    expect(await personsOf(conference)).toEqual([]);
  });

  it('answers a command with the same tree, lists included, as a read of what it wrote', async () => {
    for (const type of ['json', 'xml']) {
      const createdText = await fetchText('createConferenceReserved', {
        type,
        name: 'Lists',
        reservationCount: '2',
        startDate1: '2030.01.02 10:00:00',
        duration1: '30',
        estimatedCallers1: '5',
        startDate2: '2030.01.03 10:00:00',
        duration2: '45',
        estimatedCallers2: '8',
      });
      const uid = /"UID":"([A-Z0-9]+)"|<UID>([A-Z0-9]+)<\/UID>/.exec(createdText)!;
      const conference = uid[1] ?? uid[2]!;
      const readText = await fetchText('getConference', { type, conferenceUID: conference });
      expect(createdText).toContain(type === 'json' ? '"code":0' : '<code>0</code>');
      expect(createdText).toBe(readText);
    }
  });

  it('runs an idempotent command once whichever worker the repeat reaches', async () => {
    const conference = (await call('createConferenceReservationless', {})).value.UID as string;
    const params = { conference, role: 'PARTICIPANT', name: 'Once' };
    const [first, repeat] = await twice('addPerson', params, { 'idempotency-key': 'written-once' });
    expect(first!.code).toBe(0);
    expect(repeat).toEqual(first);
    expect(await personsOf(conference)).toEqual([first!.value.UID]);
    const [other, otherAgain] = await twice(
      'addPerson',
      { ...params, name: 'Other' },
      { 'idempotency-key': 'written-once' },
    );
    expect(other).toEqual(otherAgain);
    expect(other).toEqual({
      code: -2,
      message: 'this idempotency key was already used with different parameters; use a new key',
      value: null,
    });
    expect(await personsOf(conference)).toEqual([first!.value.UID]);
  });

  it('answers -3 from either worker while another connection holds the write lock past the deadline', async () => {
    const conference = (await call('createConferenceReservationless', {})).value.UID as string;
    const holder = new Database(database.url);
    try {
      holder.exec('BEGIN IMMEDIATE');
      const answers = await Promise.all([
        call('addPerson', { conference, role: 'PARTICIPANT' }),
        call('addPerson', { conference, role: 'PARTICIPANT' }),
      ]);
      for (const answer of answers) {
        expect(answer.code).toBe(-3);
        expect(answer.message).toMatch(/^the database is busy or unreachable; retry the call \(request \S+\)$/);
        expect(answer.value).toBeNull();
      }
      holder.exec('ROLLBACK');
    } finally {
      holder.close();
    }
    expect(await personsOf(conference)).toEqual([]);
    const after = await call('addPerson', { conference, role: 'PARTICIPANT' });
    expect(after.code).toBe(0);
    expect(await personsOf(conference)).toEqual([after.value.UID]);
  }, 60_000);

  it('numbers the events of both workers writing at once gap-free; a failing request leaves its group committed', async () => {
    const conference = (await call('createConferenceReservationless', {})).value.UID as string;
    const canceled = (await call('createConferenceReservationless', {})).value.UID as string;
    expect((await call('cancelConference', { conference: canceled })).code).toBe(0);
    const start = await lastSequence();
    // 120 registrations on new connections at once (both workers), every fourth for the canceled conference.
    const answers = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        call('addPerson', { conference: i % 4 === 3 ? canceled : conference, role: 'PARTICIPANT', name: `G${i}` }),
      ),
    );
    const refused = answers.filter((_, i) => i % 4 === 3);
    const added = answers.filter((_, i) => i % 4 !== 3);
    // Judged inside the write group's transaction (a cancel cannot land in between): its savepoint rolls back.
    expect(refused.map((a) => a.message)).toEqual(refused.map(() => `conference ${canceled} is canceled`));
    expect(refused.map((a) => a.code)).toEqual(refused.map(() => -2));
    expect(added.map((a) => a.code)).toEqual(added.map(() => 0));
    const uids = added.map((a) => a.value.UID as string);
    expect((await personsOf(conference)).sort()).toEqual([...uids].sort());
    expect(await personsOf(canceled)).toEqual([]);
    const events = await store.db
      .selectFrom('events')
      .select(['sequence', 'data'])
      .where('customer_uid', '=', credentials.customer)
      .where('sequence', '>', start)
      .orderBy('sequence')
      .execute();
    // One event a registration, numbered on from the last without a gap or a repeat.
    expect(events.map((e) => e.sequence)).toEqual(uids.map((_, i) => start + 1 + i));
    for (const uid of uids) expect(events.filter((e) => e.data.includes(uid)).length).toBe(1);
  }, 60_000);

  it('retries a CLI write that meets the workers writing, and loses none of either', async () => {
    const conference = (await call('createConferenceReservationless', {})).value.UID as string;
    let writing = true;
    const acknowledged: string[] = [];
    const codes: number[] = [];
    // Both workers write without a pause while the CLI creates keys (each a write transaction of its own).
    const load = Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        for (let i = 0; writing; i++) {
          const answer = await call('addPerson', { conference, role: 'PARTICIPANT', name: `L${lane}-${i}` });
          codes.push(answer.code);
          if (answer.code === 0) acknowledged.push(answer.value.UID as string);
        }
      }),
    );
    const keys: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const created = await runCli(['key', 'create', credentials.customer, '--json'], { DATABASE_URL: database.url });
        expect(created.code).toBe(0);
        keys.push((JSON.parse(created.stdout) as { key: string }).key);
      }
    } finally {
      writing = false;
      await load;
    }
    expect(codes.length).toBeGreaterThan(0);
    expect(codes).toEqual(codes.map(() => 0));
    expect((await personsOf(conference)).sort()).toEqual([...acknowledged].sort());
    for (const key of keys) expect((await call('getCustomer', { key })).code).toBe(0);
  }, 120_000);

  it('takes the token back from a worker killed with SIGKILL while it holds it; nothing unacknowledged commits', async () => {
    const conference = (await call('createConferenceReservationless', {})).value.UID as string;
    const { listening, killed, killWorker } = workerKiller();
    const listeningBefore = [listening(1), listening(2)];
    const holder = new Database(database.url);
    let firstSettled = false;
    try {
      // A connection outside the cluster holds the write lock: the worker that gets the first call takes the
      // token and keeps retrying its BEGIN, token in hand; the other worker's call waits for the token.
      holder.exec('BEGIN IMMEDIATE');
      const first = call('addPerson', { conference, role: 'PARTICIPANT', name: 'Holder' }).then(
        () => (firstSettled = true),
        () => (firstSettled = true),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      const second = call('addPerson', { conference, role: 'PARTICIPANT', name: 'Waiter' }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Kill worker 1; when it was not the holder (the first call still waits), worker 2 too: either way the
      // worker holding the token dies holding it.
      await killWorker(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (!firstSettled) {
        // Worker 2 holds it. Its replacement listening first keeps the cluster's port open (with PORT=0 a
        // cluster whose workers are all gone listens again on another port).
        while (listening(1) === listeningBefore[0]) await new Promise((resolve) => setTimeout(resolve, 20));
        await killWorker(2);
      }
      await first;
      await second;
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    // Neither call was acknowledged, and the holder's never committed (its BEGIN never succeeded).
    expect(await personsOf(conference)).toEqual([]);
    for (const index of killed) {
      while (listening(index) === listeningBefore[index - 1]) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The survivor and the replacements take turns with the token again.
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call('addPerson', { conference, role: 'PARTICIPANT', name: `After${i}` })),
    );
    expect(answers.map((a) => a.code)).toEqual(answers.map(() => 0));
    const stored = await personsOf(conference);
    expect(stored.sort()).toEqual(answers.map((a) => a.value.UID as string).sort());
    for (let i = 0; i < 2; i++) {
      const view = await call('getConference', { conferenceUID: conference });
      expect([...view.value.persons].sort()).toEqual([...stored].sort());
    }
  }, 60_000);

  it('a keyed command whose worker is killed mid-group leaves no claim behind: a retry with its key runs the call', async () => {
    const conference = (await call('createConferenceReservationless', {})).value.UID as string;
    const { listening, killed, killWorker } = workerKiller();
    const listeningBefore = [listening(1), listening(2)];
    const params = { conference, role: 'PARTICIPANT', name: 'Keyed' };
    const headers = { 'idempotency-key': 'killed-mid-group' };
    const holder = new Database(database.url);
    let settled = false;
    try {
      // The worker that gets the call holds its group (the key's claim and the call, one unit) while its BEGIN
      // keeps finding the lock taken; it dies there.
      holder.exec('BEGIN IMMEDIATE');
      const keyed = call('addPerson', params, headers).then(
        () => (settled = true),
        () => (settled = true),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      await killWorker(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (!settled) {
        while (listening(1) === listeningBefore[0]) await new Promise((resolve) => setTimeout(resolve, 20));
        await killWorker(2);
      }
      await keyed;
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    for (const index of killed) {
      while (listening(index) === listeningBefore[index - 1]) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Nothing was acknowledged, and nothing of the call is left: no person, no claim that a retry would wait for.
    expect(await personsOf(conference)).toEqual([]);
    const claims = await store.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('customer_uid', '=', credentials.customer)
      .where('key', '=', 'killed-mid-group')
      .execute();
    expect(claims).toEqual([]);
    // The retry runs the call (a claim left pending would make it wait, then answer -3), once.
    const retried = await call('addPerson', params, headers);
    expect(retried.code).toBe(0);
    expect(await call('addPerson', params, headers)).toEqual(retried);
    expect(await personsOf(conference)).toEqual([retried.value.UID]);
  }, 60_000);

  it('stops every worker when the primary dies (the supervisor restarts the service)', async () => {
    const pids = [1, 2].map((index) => {
      const all = [...server.stdout().matchAll(new RegExp(`worker ${index} listening \\(pid (\\d+)\\)`, 'g'))];
      return Number(all.at(-1)![1]);
    });
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(pids.map(alive)).toEqual([true, true]);
    server.child.kill('SIGKILL');
    await server.exited;
    const deadline = Date.now() + 20_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pids.map(alive)).toEqual([false, false]);
  }, 60_000);

  /** The last event number handed out to the customer (0 before the first). */
  async function lastSequence(): Promise<number> {
    const row = await store.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('sequence').as('last'))
      .where('customer_uid', '=', credentials.customer)
      .executeTakeFirst();
    return Number(row?.last ?? 0);
  }

  /** The raw answer text of a POSTed call (for byte-for-byte comparisons). */
  async function fetchText(fn: string, params: Record<string, string>): Promise<string> {
    const response = await fetch(new URL(`/_access/${fn}`, server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...credentials, ...params }).toString(),
    });
    return response.text();
  }
});
