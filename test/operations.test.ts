/**
 * Operations: health and readiness probes, and graceful shutdown of a real
 * server process (SIGTERM lets a request already in flight finish).
 */
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createCustomer } from '../src/domain/customers.js';
import { cryptoRandom } from '../src/random.js';
import { migrate, openStore } from '../src/store/database.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { startTestServer, type TestServer } from './harness.js';
import { callFunction, startServerProcess, type ServerProcess } from './process.js';

const getJson = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as unknown };
};

describe('/healthz and /readyz', () => {
  let server: TestServer;
  afterEach(() => server.close());

  it('answers alive and ready while the database is reachable', async () => {
    server = await startTestServer();
    expect(await getJson(`${server.url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getJson(`${server.url}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('answers /readyz with 503 once the database is closed, while /healthz stays 200', async () => {
    server = await startTestServer();
    await server.services.store.close();
    expect(await getJson(`${server.url}/readyz`)).toEqual({ status: 503, body: { status: 'database unreachable' } });
    expect(await getJson(`${server.url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it.skipIf(!process.env.BATON_TEST_PG_URL)(
    'answers /readyz with 503 when the PostgreSQL database is dropped under it, and the process keeps running (PostgreSQL only)',
    async () => {
      server = await startTestServer();
      expect((await getJson(`${server.url}/readyz`)).status).toBe(200);
      // Terminates the pool's open connections too: the pool must not crash the process.
      await server.database.drop();
      expect(await getJson(`${server.url}/readyz`)).toEqual({ status: 503, body: { status: 'database unreachable' } });
      const answer = await server.call('getCustomer');
      expect(answer.code).toBe(-3);
      expect(await getJson(`${server.url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    },
  );
});

describe('graceful shutdown of a server process', () => {
  let database: TestDatabase;
  let server: ServerProcess | undefined;
  let credentials: { customer: string; key: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    const store = openStore(database.url, { poolMax: 1 });
    try {
      await migrate(store);
      const config = loadConfig({ DATABASE_URL: database.url });
      const { customer, key } = await createCustomer(
        { store, clock: systemClock, random: cryptoRandom, config },
        { name: 'Shutdown', did: '+1 555 0142' },
      );
      credentials = { customer: customer.uid, key };
    } finally {
      await store.close();
    }
  });
  afterAll(async () => {
    await server?.stop();
    await database.drop();
  });

  it('finishes a request that is in flight when SIGTERM arrives, then exits 0', async () => {
    server = await startServerProcess({ DATABASE_URL: database.url, LOG_LEVEL: 'info' });
    const created = await callFunction(server.url, 'createConferenceReservationless', { ...credentials, name: 'Last' });
    expect(created.code).toBe(0);

    // A slow client: the headers and half of the body now, the rest after SIGTERM.
    const body = new URLSearchParams({
      ...credentials,
      type: 'json',
      conference: created.value.UID,
      role: 'PARTICIPANT',
      name: 'Late Arrival',
    }).toString();
    const half = Math.floor(body.length / 2);
    const answer = new Promise<{ status: number; connection?: string; text: string }>((resolve, reject) => {
      const req = request(`${server!.url}/_access/addPerson`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, half));
      // The server has the request (Fastify logs it) before the signal is sent.
      void server!
        .waitForStdout('/_access/addPerson')
        .then(() => {
          server!.child.kill('SIGTERM');
          return server!.waitForStderr('SIGTERM: finishing in-flight requests');
        })
        .then(() => req.end(body.slice(half)), reject);
    });

    const { status, connection, text } = await answer;
    expect(status).toBe(200);
    // A keep-alive client is told to reconnect (elsewhere) rather than hold the process open.
    expect(connection).toBe('close');
    const envelope = JSON.parse(text);
    expect(envelope.code).toBe(0);
    expect(envelope.value).toMatchObject({ name: 'Late Arrival', role: 'PARTICIPANT' });
    expect(await server.exited).toBe(0);

    // The person was written before the database closed.
    const store = openStore(database.url, { poolMax: 1 });
    try {
      const row = await store.db
        .selectFrom('persons')
        .select('name')
        .where('uid', '=', envelope.value.UID)
        .executeTakeFirst();
      expect(row).toEqual({ name: 'Late Arrival' });
    } finally {
      await store.close();
    }
  });
});
