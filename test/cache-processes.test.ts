/**
 * The SQLite read cache across processes: two workers keep answers cached,
 * and whatever another process changes (the CLI, a process of the test's
 * own) is in the very next answer of either worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/database.js';
import { runCli } from './cli.js';
import type { TestDatabase } from './database.js';
import { callOnNewConnection, startWorkers, type ServerProcess, type WorkersUnderTest } from './process.js';
import { reservationParams } from './reservations.js';

type Envelope = { code: number; message: string; value: any };

describe.skipIf(process.env.BATON_TEST_PG_URL)('the read cache with WORKERS=2 on one SQLite file', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  /** The test's own connection: another process to the workers. */
  let store: Store;
  let credentials: { customer: string; key: string };

  let workers: WorkersUnderTest;

  beforeAll(async () => {
    workers = await startWorkers({ name: 'Cache', did: '+1 555 0143' }, 'sqlite');
    ({ database, server, store, credentials } = workers);
  }, 60_000);
  afterAll(() => workers?.stop());

  const call = (fn: string, params: Record<string, string>) =>
    callOnNewConnection(server.url, fn, { ...credentials, ...params });
  /** getConference on both workers, twice each (the second from the cache). */
  const onBothWorkers = async (uid: string) => {
    const answers: Envelope[] = [];
    for (let i = 0; i < 4; i++) answers.push(await call('getConference', { conferenceUID: uid }));
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    return answers[0]!.value;
  };

  it("shows another process's change to a custom value, a reservation and a person in both workers' next answers", async () => {
    const a = (
      await call('createConferenceReserved', {
        name: 'A',
        ...reservationParams([{ startDate: '2030.01.20 10:00:00', duration: 60 }]),
      })
    ).value.UID as string;
    const b = (await call('createConferenceReservationless', { name: 'B' })).value.UID as string;
    const before = await onBothWorkers(a);
    const untouched = await onBothWorkers(b);
    expect(before.scheduledStartTime).toBe('Sun Jan 20 10:00:00 UTC 2030');

    await store.db
      .insertInto('custom_values')
      .values({ customer_uid: credentials.customer, object_type: 'conference', object_uid: a, key: 'k', value: 'v' })
      .execute();
    expect((await onBothWorkers(a)).custom).toEqual([{ key: 'k', value: 'v' }]);

    const hour = 3_600_000;
    await store.db
      .updateTable('reservations')
      .set((eb) => ({ start_at: eb('start_at', '+', hour), end_at: eb('end_at', '+', hour) }))
      .where('conference_uid', '=', a)
      .execute();
    expect((await onBothWorkers(a)).scheduledStartTime).toBe('Sun Jan 20 11:00:00 UTC 2030');

    const person = await call('addPerson', { conference: a, role: 'PARTICIPANT', name: 'Ann' });
    expect(person.code).toBe(0);
    expect((await onBothWorkers(a)).persons).toEqual([person.value.UID]);
    await store.db.deleteFrom('pin_claims').where('person_uid', '=', person.value.UID).execute();
    await store.db.deleteFrom('persons').where('uid', '=', person.value.UID).execute();
    expect((await onBothWorkers(a)).persons).toEqual([]);

    expect(await onBothWorkers(b)).toEqual(untouched);
  });

  it("sends another process's change in both workers' next XML and JSON bytes, never the bytes cached before it", async () => {
    const uid = (await call('createConferenceReservationless', { name: 'Bytes before' })).value.UID as string;
    /** The raw answer text, four times on new connections (both workers, the later ones reused bytes): all equal. */
    const texts = async (type: string) => {
      const body = new URLSearchParams({ ...credentials, conferenceUID: uid, type }).toString();
      const answers: string[] = [];
      for (let i = 0; i < 4; i++) {
        const response = await fetch(new URL('/_access/getConference', server.url), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
          body,
        });
        answers.push(await response.text());
      }
      for (const answer of answers) expect(answer).toBe(answers[0]);
      return answers[0]!;
    };
    const before = { xml: await texts('xml'), json: await texts('json') };
    expect(before.xml).toContain('<name>Bytes before</name>');
    await store.db.updateTable('conferences').set({ name: 'Bytes after' }).where('uid', '=', uid).execute();
    const after = { xml: await texts('xml'), json: await texts('json') };
    expect(after.xml).toContain('<name>Bytes after</name>');
    expect(after.json).toContain('"name":"Bytes after"');
    expect(after.json.replace('Bytes after', 'Bytes before')).toBe(before.json);
  });

  it('refuses a customer suspended by the CLI on the next request to every worker, and serves it once activated', async () => {
    for (let i = 0; i < 4; i++) expect((await call('getCustomer', {})).code).toBe(0);
    const env = { DATABASE_URL: database.url };
    expect((await runCli(['customer', 'suspend', credentials.customer], env)).code).toBe(0);
    for (let i = 0; i < 4; i++) expect((await call('getCustomer', {})).code).toBe(-1);
    expect((await runCli(['customer', 'activate', credentials.customer], env)).code).toBe(0);
    for (let i = 0; i < 4; i++) expect((await call('getCustomer', {})).code).toBe(0);
  });

  it('refuses a key revoked by the CLI on the next request to every worker', async () => {
    const env = { DATABASE_URL: database.url };
    const extra = JSON.parse((await runCli(['key', 'create', credentials.customer, '--json'], env)).stdout) as {
      key: string;
    };
    for (let i = 0; i < 4; i++) expect((await call('getCustomer', { key: extra.key })).code).toBe(0);
    expect((await runCli(['key', 'revoke', credentials.customer, extra.key], env)).code).toBe(0);
    for (let i = 0; i < 4; i++) expect((await call('getCustomer', { key: extra.key })).code).toBe(-5);
    expect((await call('getCustomer', {})).code).toBe(0);
  });
});
