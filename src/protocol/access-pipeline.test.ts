import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeKey, setCustomerStatus } from '../domain/customers.js';
import { apiFunctions } from '../functions/index.js';
import { openStore } from '../store/database.js';
import { revokeApiKeys } from '../store/customer.repository.js';
import { hashKey } from '../domain/customers.js';
import { AccessPipeline, type AccessAnswer, type AccessRequest } from './access-pipeline.js';
import { createConference, startTestServer, type Credentials, type TestServer } from '../../test/harness.js';

/** Whether no setImmediate callback (the start of a new event-loop turn's check phase) ran since this was made. */
function sameTurn(): () => boolean {
  let passed = false;
  setImmediate(() => (passed = true));
  return () => !passed;
}

/** The envelope's code as the JSON body says it. */
function codeOf(answer: AccessAnswer): number {
  return (JSON.parse(answer.body.toString()) as { code: number }).code;
}

describe('the /_access pipeline answers a fully cached read at once', () => {
  let server: TestServer;
  let pipeline: AccessPipeline;
  let conference: string;
  const sqlite = () => server.services.store.dialect === 'sqlite';

  beforeAll(async () => {
    server = await startTestServer();
    pipeline = new AccessPipeline(server.services, apiFunctions);
    conference = await createConference(server);
  });
  afterAll(() => server.close());

  const request = (as: Credentials, params: Record<string, string> = {}): AccessRequest => ({
    method: 'GET',
    fnName: 'getConference',
    params: Object.assign(Object.create(null) as Record<string, string>, {
      ...as,
      conferenceUID: conference,
      type: 'json',
      ...params,
    }),
    idempotencyHeader: undefined,
    peerAddress: '127.0.0.1',
    forwardedFor: undefined,
    requestId: 'test',
  });

  const conferenceOf = async (as: Credentials): Promise<string> =>
    (await server.call('createConferenceReservationless', { name: 'Own' }, { as })).value.UID as string;

  it('answers without a promise once the credentials and the answer are cached (SQLite), the same bytes', async () => {
    const first = await pipeline.answer(request(server.credentials));
    expect(codeOf(first)).toBe(0);
    const again = pipeline.answer(request(server.credentials));
    if (!sqlite()) {
      // PostgreSQL reads every request in one statement: always a promise.
      expect(again).toBeInstanceOf(Promise);
      return;
    }
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as AccessAnswer).body).toEqual(first.body);
    // A refusal the cache can decide is at once too: a wrong key, the function's own parameter error after it.
    const wrong = pipeline.answer(request({ customer: server.credentials.customer, key: 'x'.repeat(32) }));
    expect(wrong).not.toBeInstanceOf(Promise);
    expect(codeOf(wrong as AccessAnswer)).toBe(-5);
    const badParam = pipeline.answer(request(server.credentials, { conferenceUID: 'X'.repeat(65) }));
    expect(badParam).not.toBeInstanceOf(Promise);
    expect(codeOf(badParam as AccessAnswer)).toBe(-2);
    // Authentication still comes before the parameter refusal.
    const both = pipeline.answer(
      request({ customer: server.credentials.customer, key: 'x'.repeat(32) }, { conferenceUID: 'X'.repeat(65) }),
    );
    expect(codeOf(both as AccessAnswer)).toBe(-5);
  });

  it("refuses a key revoked by this process's other connection on the very next request, in the same turn", async () => {
    const credentials = await server.addCustomer();
    const uid = await conferenceOf(credentials);
    const ask = () => pipeline.answer(request(credentials, { conferenceUID: uid }));
    expect(codeOf(await ask())).toBe(0);
    expect(codeOf(await ask())).toBe(0);
    const turn = sameTurn();
    // As another HTTP connection to this process would: its write goes through this process's store.
    expect(await revokeKey(server.services, credentials.customer, credentials.key)).toBe(true);
    const next = ask();
    // SQLite: the revocation's statements ran in microtasks of this very turn, whose data_version was read
    // before them (PostgreSQL reads over the network, and every request reads the key anew).
    if (sqlite()) expect(turn()).toBe(true);
    expect(codeOf(await next)).toBe(-5);
  });

  it('refuses a key revoked, or a customer suspended, through another connection on the next turn', async () => {
    const credentials = await server.addCustomer();
    const uid = await conferenceOf(credentials);
    const ask = () => pipeline.answer(request(credentials, { conferenceUID: uid }));
    expect(codeOf(await ask())).toBe(0);
    if (sqlite()) expect(ask()).not.toBeInstanceOf(Promise);
    // Another connection to the same database, as the CLI or another worker has.
    const other = openStore(server.database.url);
    try {
      await setCustomerStatus({ ...server.services, store: other }, credentials.customer, 'SUSPEND');
      await new Promise((resolve) => setImmediate(resolve));
      expect(codeOf(await ask())).toBe(-1);
      await setCustomerStatus({ ...server.services, store: other }, credentials.customer, 'ACTIVE');
      await new Promise((resolve) => setImmediate(resolve));
      expect(codeOf(await ask())).toBe(0);
      await revokeApiKeys(other.db, credentials.customer, { keyHash: hashKey(credentials.key) }, 0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(codeOf(await ask())).toBe(-5);
    } finally {
      await other.close();
    }
  });
});
