/**
 * PostgreSQL with WORKERS=2: a customer's registrations are committed by one
 * worker, its owner, whichever worker the request reached; the other sends
 * them over the cluster's socket. Real processes on a real PostgreSQL: a
 * request's worker is told by its X-Request-Id (each process has its own
 * prefix), a registration's transaction by its row's xmin.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerOf } from '../src/registration-owner.js';
import type { Store } from '../src/store/database.js';
import { startWorkers, type ServerProcess, type WorkersUnderTest } from './process.js';

const postgres = process.env.BATON_TEST_PG_URL;

type Answer = { code: number; message: string; value: any };

/** One POSTed call on a new connection (so calls alternate between the workers): its envelope and X-Request-Id. */
function callWithId(
  url: string,
  fn: string,
  params: Record<string, string>,
  agent: Agent | false = false,
): Promise<{ answer: Answer; requestId: string }> {
  const body = new URLSearchParams({ type: 'json', ...params }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(`/_access/${fn}`, url),
      { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ answer: JSON.parse(text) as Answer, requestId: String(res.headers['x-request-id']) });
          } catch {
            reject(new Error(`HTTP ${res.statusCode}: ${text}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('no answer')));
    req.end(body);
  });
}

/** The process a request id came from: its per-process prefix. */
const processOf = (requestId: string) => requestId.slice(0, requestId.lastIndexOf('-'));

describe.skipIf(!postgres)(
  'PostgreSQL with WORKERS=2: one writer of a customer’s registrations (skipped: needs BATON_TEST_PG_URL, see npm run test:pg)',
  () => {
    let workers: WorkersUnderTest;
    let server: ServerProcess;
    let store: Store;
    let credentials: { customer: string; key: string };

    beforeAll(async () => {
      // LOG_LEVEL=info: each request's log line names its process (pid) and its request id.
      workers = await startWorkers({ name: 'Owner', did: '+1 555 0177' }, 'postgres', { LOG_LEVEL: 'info' });
      ({ server, store, credentials } = workers);
    }, 60_000);
    afterAll(() => workers?.stop());

    const call = (fn: string, params: Record<string, string>) =>
      callWithId(server.url, fn, { ...credentials, ...params });

    /** Every event number of the customer, in order. */
    const sequences = async () =>
      (
        await store.db
          .selectFrom('events')
          .select('sequence')
          .where('customer_uid', '=', credentials.customer)
          .orderBy('sequence')
          .execute()
      ).map((row) => Number(row.sequence));

    /** Each person of `conference` with the transaction that inserted it. */
    const transactionsOf = async (conference: string) =>
      new Map(
        (
          await store.db
            .selectFrom('persons')
            .select((eb) => ['uid', eb.cast<string>(eb.ref('xmin' as 'uid'), 'text').as('tx')])
            .where('conference_uid', '=', conference)
            .execute()
        ).map((row) => [row.uid, row.tx]),
      );

    const workerPid = (index: number) => {
      const all = [...server.stdout().matchAll(new RegExp(`worker ${index} listening \\(pid (\\d+)\\)`, 'g'))];
      return Number(all.at(-1)![1]);
    };

    /** The pid of the process that answered the request `requestId` (from its log line). */
    const pidOf = async (requestId: string) => {
      const line = `"reqId":"${requestId}"`;
      await server.waitForStdout(line);
      const logged = server
        .stdout()
        .split('\n')
        .find((l) => l.includes(line) && l.includes('"fn"'))!;
      return (JSON.parse(logged) as { pid: number }).pid;
    };

    it('commits registrations that reached both workers in one statement, its events numbered gap-free', async () => {
      const conference = (await call('createConferenceReservationless', {})).answer.value.UID as string;
      // Once both workers are up and linked (the server says it listens when both do; a link may take a moment).
      const deadline = Date.now() + 10_000;
      let shared = false;
      let groups = 0;
      let written = 0;
      const everyWorker = new Set<string>();
      while (!shared && Date.now() < deadline) {
        const calls = await Promise.all(
          Array.from({ length: 120 }, (_, i) => call('addPerson', { conference, role: 'PARTICIPANT', name: `O${i}` })),
        );
        expect(calls.map((c) => c.answer.code)).toEqual(calls.map(() => 0));
        const transactions = await transactionsOf(conference);
        // A transaction that inserted registrations answered by both workers: one process wrote both.
        const answeredBy = new Map<string, Set<string>>();
        for (const c of calls) {
          const tx = transactions.get(c.answer.value.UID as string);
          expect(tx).toBeDefined();
          everyWorker.add(processOf(c.requestId));
          answeredBy.set(tx!, (answeredBy.get(tx!) ?? new Set()).add(processOf(c.requestId)));
        }
        shared = [...answeredBy.values()].some((set) => set.size === 2);
        groups = answeredBy.size;
        written = calls.length;
      }
      expect(everyWorker.size).toBe(2);
      expect(shared).toBe(true);
      // Fewer transactions than registrations: they went in groups.
      expect(groups).toBeLessThan(written);
      const numbers = await sequences();
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    }, 60_000);

    it('answers every registration a worker sent its owner when the owner is killed, loses none it acknowledged, and writes alone until the owner is back', async () => {
      const conference = (await call('createConferenceReservationless', {})).answer.value.UID as string;
      const owner = ownerOf(credentials.customer, 2);
      const pid = workerPid(owner);
      // Keep-alive connections, each to one worker: the burst goes only to the other worker's, so every
      // caller's registration is one that worker sends to the owner (a connection the killed worker
      // itself holds closes with it, which is not what is tested here).
      const connections = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const agent = new Agent({ keepAlive: true, maxSockets: 1 });
          const { requestId } = await callWithId(server.url, 'getCustomer', credentials, agent);
          return { agent, worker: await pidOf(requestId) };
        }),
      );
      const others = connections.filter((c) => c.worker !== pid);
      expect(others.length).toBeGreaterThan(0);
      const acknowledged: string[] = [];
      const codes: number[] = [];
      const burst = Array.from({ length: 240 }, (_, i) =>
        callWithId(
          server.url,
          'addPerson',
          { ...credentials, conference, role: 'PARTICIPANT', name: `K${i}` },
          others[i % others.length]!.agent,
        ).then(({ answer }) => {
          codes.push(answer.code);
          if (answer.code === 0) acknowledged.push(answer.value.UID as string);
        }),
      );
      while (acknowledged.length < 40) await new Promise((resolve) => setTimeout(resolve, 2));
      const beforeKill = acknowledged.length;
      process.kill(pid, 'SIGKILL');
      // Every caller gets an answer: 0, or -3 for one out to the owner when it died (its outcome unknown).
      await Promise.all(burst);
      expect(codes.filter((code) => code !== 0 && code !== -3)).toEqual([]);
      // Registered by the worker alone once its owner was gone.
      expect(acknowledged.length).toBeGreaterThan(beforeKill);
      const transactions = await transactionsOf(conference);
      expect(acknowledged.filter((uid) => !transactions.has(uid))).toEqual([]);
      for (const c of connections) c.agent.destroy();
      await server.waitForStderr(`worker ${owner} (pid ${pid}) exited (SIGKILL)`);
      while (workerPid(owner) === pid) await new Promise((resolve) => setTimeout(resolve, 20));
      // With the owner back, registrations through both workers share its statements again.
      const deadline = Date.now() + 20_000;
      let shared = false;
      while (!shared && Date.now() < deadline) {
        const calls = await Promise.all(
          Array.from({ length: 40 }, (_, i) => call('addPerson', { conference, role: 'PARTICIPANT', name: `B${i}` })),
        );
        expect(calls.map((c) => c.answer.code)).toEqual(calls.map(() => 0));
        const now = await transactionsOf(conference);
        const byTx = new Map<string, Set<string>>();
        for (const c of calls) {
          const tx = now.get(c.answer.value.UID as string)!;
          byTx.set(tx, (byTx.get(tx) ?? new Set()).add(processOf(c.requestId)));
        }
        shared = [...byTx.values()].some((set) => set.size === 2);
      }
      expect(shared).toBe(true);
      const numbers = await sequences();
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    }, 90_000);
  },
);
