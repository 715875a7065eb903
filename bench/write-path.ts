/**
 * The cost of the SQLite write path alone, without HTTP or forwarding: what
 * the cluster's primary does for each forwarded addPerson (answerCall inside
 * a write group, the reply's tree encoded), `batch` calls per event-loop turn
 * as the workers' batches arrive. Prints the process's CPU per call (user +
 * system, process.cpuUsage), so changes to the write path can be compared on
 * a shared machine without the load generator's noise.
 *
 *   node --import tsx bench/write-path.ts [calls=20000] [batch=16]
 *
 * PRAGMAS="a=1;b=2" sets pragmas on the connection first (e.g.
 * wal_autocheckpoint=0 to see what the checkpoints cost the writer);
 * CHECKPOINT_THREAD=1 opens the store as the cluster's primary does, its
 * checkpoints in a thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { Services } from '../src/context.js';
import { addPerson } from '../src/functions/add-person.js';
import { answerCall } from '../src/protocol/answer-call.js';
import { encodeTree } from '../src/protocol/idempotency.js';
import { cryptoRandom } from '../src/random.js';
import { findCustomer } from '../src/store/customer.repository.js';
import { openStore, sqliteExecutorOf } from '../src/store/database.js';
import { seedDatabase } from './seed.js';

const calls = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 16);
const work = mkdtempSync(join(tmpdir(), 'baton-write-path-'));
const file = join(work, 'bench.db');
const seeded = await seedDatabase(file, {
  conferences: 1_000,
  upcoming: 50,
  dataPersons: 10,
  smallPersons: 10,
  now: Date.now(),
});
const config = loadConfig({ DATABASE_URL: file, LOG_LEVEL: 'warn' });
const store = openStore(file, { checkpointInBackground: process.env.CHECKPOINT_THREAD === '1' });
for (const pragma of (process.env.PRAGMAS ?? '').split(';').filter(Boolean))
  sqliteExecutorOf(store.db)!.sqlite.pragma(pragma);
const services: Services = { store, clock: systemClock, random: cryptoRandom, config };
const customer = (await findCustomer(store.db, seeded.customer))!;
const params = addPerson.params.parse({
  conference: seeded.openConference,
  role: 'PARTICIPANT',
  name: 'Bench Person',
  email: 'bench@example.com',
});

const turn = () => new Promise((resolve) => setImmediate(resolve));
const run = async (n: number) => {
  for (let done = 0; done < n; done += batch) {
    const group = Array.from({ length: Math.min(batch, n - done) }, () =>
      Promise.resolve(answerCall({ services, customer }, addPerson, params)).then((answer) =>
        JSON.stringify(encodeTree(answer.value)),
      ),
    );
    await Promise.all(group);
    await turn();
  }
};
await run(2_000); // warm-up
const before = process.cpuUsage();
const started = performance.now();
await run(calls);
const used = process.cpuUsage(before);
const wall = performance.now() - started;
process.stdout.write(
  `${calls} addPerson in groups of ${batch}: ${((used.user + used.system) / calls).toFixed(1)} µs CPU/call ` +
    `(user ${(used.user / calls).toFixed(1)}, system ${(used.system / calls).toFixed(1)}), ` +
    `${((1000 * calls) / wall).toFixed(0)} calls/s\n`,
);
await store.close();
rmSync(work, { recursive: true, force: true });
