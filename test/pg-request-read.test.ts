/**
 * PostgreSQL reads getConference's and getConferenceData's view in the same
 * statement as the request's authentication (one round trip). Whatever
 * another process changes — a key revoked or a customer suspended by the
 * CLI, a person added or renamed through another connection — is in the very
 * next answer of either worker; a wrong key, an unknown customer or a bad
 * parameter is refused as before. PostgreSQL only (SQLite: cache-processes.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/database.js';
import { runCli } from './cli.js';
import type { TestDatabase } from './database.js';
import { callOnNewConnection, startWorkers, type ServerProcess, type WorkersUnderTest } from './process.js';

type Envelope = { code: number; message: string; value: any };

describe.skipIf(!process.env.BATON_TEST_PG_URL)('one-statement reads with WORKERS=2 on PostgreSQL', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  /** The test's own connection: another process to the workers. */
  let store: Store;
  let credentials: { customer: string; key: string };
  let workers: WorkersUnderTest;
  let conference: string;

  beforeAll(async () => {
    workers = await startWorkers({ name: 'Read ahead', did: '+1 555 0144' }, 'postgres');
    ({ database, server, store, credentials } = workers);
    const created = await call('createConferenceReservationless', { name: 'Read ahead' });
    expect(created.code).toBe(0);
    conference = created.value.UID as string;
  }, 60_000);
  afterAll(() => workers?.stop());

  const call = (fn: string, params: Record<string, string>) =>
    callOnNewConnection(server.url, fn, { ...credentials, ...params }) as Promise<Envelope>;
  /** `fn` on both workers (four new connections); every answer alike. */
  const onBothWorkers = async (fn: string, params: Record<string, string>) => {
    const answers: Envelope[] = [];
    for (let i = 0; i < 4; i++) answers.push(await call(fn, params));
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    return answers[0]!;
  };

  it("shows another process's new person, renamed person and custom value in the next answers", async () => {
    const before = await onBothWorkers('getConference', { conferenceUID: conference });
    expect(before.code).toBe(0);
    expect(before.value.persons).toEqual([]);

    const added = await call('addPerson', { conference, role: 'PARTICIPANT', name: 'Ann' });
    expect(added.code).toBe(0);
    expect((await onBothWorkers('getConference', { conferenceUID: conference })).value.persons).toEqual([
      added.value.UID,
    ]);
    const data = await onBothWorkers('getConferenceData', { conferenceUID: conference });
    expect([data.value.person].flat().map((p: { name: string }) => p.name)).toEqual(['Ann']);

    await store.db.updateTable('persons').set({ name: 'Ann Lee' }).where('uid', '=', added.value.UID).execute();
    const renamed = await onBothWorkers('getConferenceData', { conferenceUID: conference });
    expect([renamed.value.person].flat()[0].name).toBe('Ann Lee');
    await store.db
      .insertInto('custom_values')
      .values({
        customer_uid: credentials.customer,
        object_type: 'conference',
        object_uid: conference,
        key: 'k',
        value: 'v',
      })
      .execute();
    const after = await onBothWorkers('getConference', { conferenceUID: conference });
    expect(after.value.custom).toEqual([{ key: 'k', value: 'v' }]);
  });

  it('refuses a key revoked by the CLI on the next getConference and getConferenceData of every worker', async () => {
    const env = { DATABASE_URL: database.url };
    const extra = JSON.parse((await runCli(['key', 'create', credentials.customer, '--json'], env)).stdout) as {
      key: string;
    };
    for (const fn of ['getConference', 'getConferenceData']) {
      expect((await onBothWorkers(fn, { conferenceUID: conference, key: extra.key })).code).toBe(0);
    }
    expect((await runCli(['key', 'revoke', credentials.customer, extra.key], env)).code).toBe(0);
    for (const fn of ['getConference', 'getConferenceData']) {
      const refused = await onBothWorkers(fn, { conferenceUID: conference, key: extra.key });
      expect(refused).toEqual({ code: -5, message: 'invalid customer key', value: null });
    }
    expect((await call('getConference', { conferenceUID: conference })).code).toBe(0);
  });

  it('refuses a key revoked by the CLI in the same batch as a live key, on every worker', async () => {
    const env = { DATABASE_URL: database.url };
    const extra = JSON.parse((await runCli(['key', 'create', credentials.customer, '--json'], env)).stdout) as {
      key: string;
    };
    expect((await onBothWorkers('getConference', { conferenceUID: conference, key: extra.key })).code).toBe(0);
    expect((await runCli(['key', 'revoke', credentials.customer, extra.key], env)).code).toBe(0);
    // Many at once, so each worker reads several requests in one statement: the revoked key's and the live one's.
    for (const fn of ['getConference', 'getConferenceData', 'addPerson']) {
      const params: Record<string, string> =
        fn === 'addPerson' ? { conference, role: 'PARTICIPANT', name: 'Batch' } : { conferenceUID: conference };
      const answers = await Promise.all(
        Array.from({ length: 16 }, (_, i) => call(fn, i % 2 ? params : { ...params, key: extra.key })),
      );
      answers.forEach((answer, i) => {
        if (i % 2) expect(answer.code).toBe(0);
        else expect(answer).toEqual({ code: -5, message: 'invalid customer key', value: null });
      });
    }
  });

  it('refuses a customer suspended by the CLI on the next getConference of every worker, and serves it once activated', async () => {
    const env = { DATABASE_URL: database.url };
    expect((await runCli(['customer', 'suspend', credentials.customer], env)).code).toBe(0);
    for (const fn of ['getConference', 'getConferenceData']) {
      const refused = await onBothWorkers(fn, { conferenceUID: conference });
      expect(refused.code).toBe(-1);
      expect(refused.value).toBeNull();
    }
    expect((await runCli(['customer', 'activate', credentials.customer], env)).code).toBe(0);
    expect((await onBothWorkers('getConference', { conferenceUID: conference })).code).toBe(0);
  });

  it('refuses a wrong key or an unknown customer before a bad parameter, and answers a bad or unknown conference -2', async () => {
    const wrongKey = { conferenceUID: conference, key: 'not-the-key' };
    expect(await onBothWorkers('getConference', wrongKey)).toEqual({
      code: -5,
      message: 'invalid customer key',
      value: null,
    });
    expect(
      (await onBothWorkers('getConferenceData', { conferenceUID: conference, customer: 'NOSUCHCUSTOMER01' })).code,
    ).toBe(-5);
    expect((await call('getConference', { conferenceUID: 'bad uid!', key: 'not-the-key' })).code).toBe(-5);
    const bad = await call('getConference', { conferenceUID: 'bad uid!' });
    expect(bad.code).toBe(-2);
    const unknown = await onBothWorkers('getConference', { conferenceUID: 'NOSUCHCONFERENC1' });
    expect(unknown.code).toBe(-2);
    expect(unknown.message).toMatch(/no conference with UID NOSUCHCONFERENC1/);
  });
});
