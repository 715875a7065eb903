/**
 * `node --import tsx bench/pg-pipeline.ts`: Node's and PostgreSQL's CPU per
 * call of the access pipeline on PostgreSQL, without HTTP or the cluster: a
 * test server in this process on a throwaway PostgreSQL (default
 * durability), a conference with 10 persons, and `--batch` calls issued in
 * one event-loop turn at a time (as that many connections' requests arrive
 * in a turn: they share one batched request read). For A/B work on the
 * PostgreSQL request path (`--cpu-prof` it for where Node's share goes):
 *
 *   --call getConference|getConferenceData|wrong|addPerson   (default getConference; getConferenceData
 *                 on a conference of 500 persons, every tenth with two custom values)
 *   --batch N     calls a turn (default 8)
 *   --seconds N   per round (default 3), --rounds N (default 3)
 */
import { parseArgs } from 'node:util';
import { accessFrontOf } from '../src/app.js';
import type { AccessPipeline } from '../src/protocol/access-pipeline.js';
import { emptyParams } from '../src/protocol/request-params.js';
import { startTestServer } from '../test/harness.js';
import { withThrowawayPostgres } from './postgres.js';

const { values: flags } = parseArgs({
  options: {
    call: { type: 'string', default: 'getConference' },
    batch: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
  },
});
const batch = Number(flags.batch);
const log = (line: string) => process.stderr.write(line + '\n');

await withThrowawayPostgres(log, async (postgres) => {
  const url = await postgres.createDatabase('pgpipeline');
  const server = await startTestServer({ database: { url, dialect: 'postgres', drop: async () => undefined } });
  try {
    const conference = (await server.call('createConferenceReservationless', { name: 'Bench' })).value.UID as string;
    const call = flags.call;
    const persons = call === 'getConferenceData' ? 500 : 10;
    for (let i = 0; i < persons; i++) {
      const person = await server.call('addPerson', { conference, role: 'PARTICIPANT', name: `P${i}` });
      if (i % 10 === 0) {
        for (const [k, v] of [
          ['company', `Company ${i}`],
          ['team', `Team ${i % 7}`],
        ]) {
          await server.call('updateCustomValue', {
            objectType: 'PERSON',
            objectUID: person.value.UID as string,
            customKey: k!,
            customValue: v!,
          });
        }
      }
    }
    const { customer, key } = server.credentials;
    const pipeline = (accessFrontOf(server.app) as unknown as { options: { pipeline: AccessPipeline } }).options
      .pipeline;
    const fnName = call === 'addPerson' ? 'addPerson' : call === 'getConferenceData' ? call : 'getConference';
    const params =
      call === 'addPerson'
        ? { customer, key, conference, role: 'PARTICIPANT', name: 'Bench person', type: 'json' }
        : { customer, key: call === 'wrong' ? 'x'.repeat(32) : key, conferenceUID: conference, type: 'json' };
    const one = () =>
      pipeline.answer({
        method: call === 'addPerson' ? 'POST' : 'GET',
        fnName,
        params: Object.assign(emptyParams(), params),
        idempotencyHeader: undefined,
        peerAddress: '127.0.0.1',
        forwardedFor: undefined,
        requestId: 'bench',
      });
    const first = await one();
    if (first.code !== (call === 'wrong' ? -5 : 0)) throw new Error(`unexpected answer: ${JSON.stringify(first)}`);
    const run = async (ms: number) => {
      let calls = 0;
      const end = performance.now() + ms;
      while (performance.now() < end) {
        const answers = [];
        for (let i = 0; i < batch; i++) answers.push(one());
        await Promise.all(answers);
        calls += batch;
      }
      return calls;
    };
    await run(1000);
    for (let round = 0; round < Number(flags.rounds); round++) {
      const own0 = process.cpuUsage();
      const pg0 = postgres.cpuMs();
      const t0 = performance.now();
      const calls = await run(Number(flags.seconds) * 1000);
      const elapsed = (performance.now() - t0) / 1000;
      const own = process.cpuUsage(own0);
      const pgCpu = postgres.cpuMs() - pg0;
      log(
        `${call}, ${batch} a turn: ${(calls / elapsed).toFixed(0)} calls/s, Node ${((own.user + own.system) / calls).toFixed(1)} µs/call, ` +
          `PostgreSQL ${((pgCpu * 1000) / calls).toFixed(1)} µs/call`,
      );
    }
  } finally {
    await server.close();
  }
});
