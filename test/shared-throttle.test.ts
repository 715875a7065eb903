/**
 * Throttles hold across processes: two real server processes on one
 * PostgreSQL database together allow each limit once, not twice. The
 * (limit+1)-th failure is refused whichever process gets it.
 * PostgreSQL only: on SQLite one process serves, and counts in memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBridgeToken } from './bridge.js';
import { callFunction, startProcessPair, type ProcessPair, type ServerProcess } from './process.js';

const postgres = process.env.BATON_TEST_PG_URL;
const authLimit = 5;
const registrationLimit = 3;
const pinLimit = 4;

describe.skipIf(!postgres)('throttles shared by two processes on one PostgreSQL database', () => {
  let pair: ProcessPair;
  let servers: ServerProcess[];
  let credentials: { customer: string; key: string };

  beforeAll(async () => {
    pair = await startProcessPair(
      {
        DB_POOL_MAX: '4',
        AUTH_FAILURE_LIMIT: String(authLimit),
        REGISTRATION_LIMIT: String(registrationLimit),
        BRIDGE_TOKEN: testBridgeToken,
        BRIDGE_PIN_FAILURES_PER_ANI: String(pinLimit),
        JOB_INTERVAL_SECONDS: '0',
      },
      { name: 'Shared limits', did: '+1 555 0142' },
    );
    ({ servers, credentials } = pair);
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
  });

  it('allows the registration limit once across both processes', async () => {
    const created = await callFunction(servers[0]!.url, 'createConferenceReservationless', {
      ...credentials,
      name: 'Shared limits',
    });
    expect(created.code).toBe(0);
    const register = (i: number) =>
      fetch(`${servers[i % 2]!.url}/conference/register/${created.value.UID}?name=P${i}&email=p${i}@example.org`, {
        redirect: 'manual',
      });
    for (let i = 0; i < registrationLimit; i++) expect((await register(i)).status).toBe(303);
    for (const i of [registrationLimit, registrationLimit + 1]) {
      const refused = await register(i);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it("refuses a caller number's (limit+1)-th wrong PIN on either process", async () => {
    const admit = async (i: number) => {
      const response = await fetch(`${servers[i % 2]!.url}/bridge/v1/admit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${testBridgeToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ did: '+1 555 0142', pin: '000000', ani: '+1 555 0777' }),
      });
      return { retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
    };
    for (let i = 0; i < pinLimit; i++) expect((await admit(i)).body.reason).toBe('unknown-pin');
    for (const i of [pinLimit, pinLimit + 1]) {
      const refused = await admit(i);
      expect(refused.body.reason).toBe('throttled');
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    }
  });

  // Last: it throttles this address on /_access for a minute.
  it('refuses the (limit+1)-th key failure on either process, with Retry-After', async () => {
    // Failures alternate between the processes: neither alone reaches the limit.
    for (let i = 0; i < authLimit; i++) {
      const answer = await callFunction(servers[i % 2]!.url, 'getCustomer', { ...credentials, key: `wrong${i}` });
      expect(answer.code).toBe(-5);
      expect(answer.message).toBe('invalid customer key');
    }
    for (const server of servers) {
      // Even the right key is refused now, from either process.
      const response = await fetch(`${server.url}/_access/getCustomer`, {
        method: 'POST',
        body: new URLSearchParams({ ...credentials, type: 'json' }),
      });
      expect(response.status).toBe(200);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      const envelope = (await response.json()) as { code: number; message: string };
      expect(envelope.code).toBe(-5);
      expect(envelope.message).toMatch(/too many failures/);
    }
  });
});
