/**
 * With SQLite and WORKERS=2 every API command runs in the cluster's primary
 * (one process writes the file): a command sent to either worker is answered
 * exactly as if that worker had run it — successes, refusals, function
 * codes, idempotent repeats and a busy database's -3 — and a worker killed
 * while its commands are in the primary loses none it acknowledged.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/database.js';
import type { TestDatabase } from './database.js';
import { callOnNewConnection, startWorkers, type ServerProcess, type WorkersUnderTest } from './process.js';

describe('SQLite with WORKERS=2: commands run in the primary', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let store: Store;
  let credentials: { customer: string; key: string };

  let workers: WorkersUnderTest;

  beforeAll(async () => {
    workers = await startWorkers({ name: 'Forwarding', did: '+1 555 0143' }, 'sqlite');
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
    const [first, repeat] = await twice('addPerson', params, { 'idempotency-key': 'forwarded-once' });
    expect(first!.code).toBe(0);
    expect(repeat).toEqual(first);
    expect(await personsOf(conference)).toEqual([first!.value.UID]);
    const [other, otherAgain] = await twice(
      'addPerson',
      { ...params, name: 'Other' },
      { 'idempotency-key': 'forwarded-once' },
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

  it('commits the forwarded commands of a worker killed with SIGKILL while they wait in the primary', async () => {
    const conference = (await call('createConferenceReservationless', {})).value.UID as string;
    const pid = Number(/worker 1 listening \(pid (\d+)\)/.exec(server.stdout())![1]);
    const holder = new Database(database.url);
    const answers: { code: number; value: any }[] = [];
    let unanswered = 0;
    let batch: Promise<void>[];
    try {
      // The primary cannot begin its write group: every command waits there.
      holder.exec('BEGIN IMMEDIATE');
      batch = Array.from({ length: 20 }, (_, i) =>
        call('addPerson', { conference, role: 'PARTICIPANT', name: `F${i}` }).then(
          (answer) => void answers.push(answer),
          () => void unanswered++,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      process.kill(pid, 'SIGKILL');
      await server.waitForStderr(`worker 1 (pid ${pid}) exited (SIGKILL)`);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await Promise.all(batch);
    // A barrier: the primary received the dead worker's commands before this one, so by its answer they are
    // committed (in its write group or an earlier one) and the store below reads them all.
    expect((await call('createConferenceReservationless', {})).code).toBe(0);
    expect(answers.map((a) => a.code)).toEqual(answers.map(() => 0));
    const acknowledged = answers.map((a) => a.value.UID as string);
    expect(unanswered).toBeGreaterThan(0);
    expect(acknowledged.length + unanswered).toBe(20);
    const stored = await personsOf(conference);
    expect(acknowledged.filter((uid) => !stored.includes(uid))).toEqual([]);
    // The dead worker's commands that had reached the primary were committed all the same.
    expect(stored.length).toBeGreaterThan(acknowledged.length);
    // Its replacement answers, and both workers see every stored person.
    while (server.stdout().split('worker 1 listening').length < 3) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (let i = 0; i < 2; i++) {
      const view = await call('getConference', { conferenceUID: conference });
      expect([...view.value.persons].sort()).toEqual([...stored].sort());
    }
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
