/**
 * PostgreSQL with WORKERS=2: a customer's registrations are committed by one
 * worker, its owner, whichever worker the request reached; the other sends
 * them over the cluster's socket. Real processes on a real PostgreSQL: a
 * request's worker is told by its X-Request-Id (each process has its own
 * prefix), a registration's transaction by its row's xmin.
 */
import { request } from 'node:http';
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
): Promise<{ answer: Answer; requestId: string }> {
  const body = new URLSearchParams({ type: 'json', ...params }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(`/_access/${fn}`, url),
      { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
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
      workers = await startWorkers({ name: 'Owner', did: '+1 555 0177' }, 'postgres');
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

    it('commits registrations that reached both workers in one statement, its events numbered gap-free', async () => {
      const conference = (await call('createConferenceReservationless', {})).answer.value.UID as string;
      const calls = await Promise.all(
        Array.from({ length: 120 }, (_, i) => call('addPerson', { conference, role: 'PARTICIPANT', name: `O${i}` })),
      );
      expect(calls.map((c) => c.answer.code)).toEqual(calls.map(() => 0));
      const workerOf = new Map(calls.map((c) => [c.answer.value.UID as string, processOf(c.requestId)]));
      // Both workers answered some.
      expect(new Set(workerOf.values()).size).toBe(2);
      const transactions = await transactionsOf(conference);
      expect([...transactions.keys()].sort()).toEqual([...workerOf.keys()].sort());
      // A transaction that inserted registrations answered by both workers: one process wrote both.
      const answeredBy = new Map<string, Set<string>>();
      for (const [uid, tx] of transactions) {
        const set = answeredBy.get(tx) ?? new Set<string>();
        set.add(workerOf.get(uid)!);
        answeredBy.set(tx, set);
      }
      expect([...answeredBy.values()].some((set) => set.size === 2)).toBe(true);
      // Fewer transactions than registrations: they went in groups.
      expect(answeredBy.size).toBeLessThan(transactions.size);
      const numbers = await sequences();
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    }, 60_000);

    it('answers every registration when the owner is killed mid-burst, loses none it acknowledged, and writes alone until the owner is back', async () => {
      const conference = (await call('createConferenceReservationless', {})).answer.value.UID as string;
      const owner = ownerOf(credentials.customer, 2);
      const pid = workerPid(owner);
      const acknowledged: { uid: string; worker: string }[] = [];
      const failures: string[] = [];
      const burst = Array.from({ length: 300 }, (_, i) =>
        call('addPerson', { conference, role: 'PARTICIPANT', name: `K${i}` }).then(
          ({ answer, requestId }) => {
            if (answer.code === 0) acknowledged.push({ uid: answer.value.UID as string, worker: processOf(requestId) });
            // A registration out to the owner when it died: its outcome is unknown, a -3 says try again.
            else failures.push(`${answer.code} ${answer.message}`);
          },
          // A connection the killed worker had accepted.
          (error: Error) => failures.push(error.message),
        ),
      );
      while (acknowledged.length < 30) await new Promise((resolve) => setTimeout(resolve, 5));
      const beforeKill = acknowledged.length;
      process.kill(pid, 'SIGKILL');
      await Promise.all(burst);
      expect(acknowledged.length + failures.length).toBe(300);
      // No caller waited for an answer that never came.
      expect(failures.filter((f) => f === 'no answer')).toEqual([]);
      // Nothing but a -3 or a closed connection.
      expect(failures.filter((f) => !/^-3 |socket hang up|ECONNRESET|ECONNREFUSED/.test(f))).toEqual([]);
      const transactions = await transactionsOf(conference);
      expect(acknowledged.filter((a) => !transactions.has(a.uid))).toEqual([]);
      expect(acknowledged.length).toBeGreaterThan(beforeKill);
      await server.waitForStderr(`worker ${owner} (pid ${pid}) exited (SIGKILL)`);
      // The surviving worker registers by itself while the owner is gone (or answers as usual once it is back).
      const alone = await Promise.all(
        Array.from({ length: 10 }, (_, i) => call('addPerson', { conference, role: 'PARTICIPANT', name: `A${i}` })),
      );
      expect(alone.map((c) => c.answer.code)).toEqual(alone.map(() => 0));
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
