/**
 * The client's transport: verbs and wire format, retry with backoff on -3,
 * timeouts, aborts, unreachable servers and answers that are not envelopes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/harness.js';
import { cryptoRandom } from '../../../src/random.js';
import { BatonApiError, BatonClient, BatonNetworkError, type FetchLike } from './index.js';

/** Wraps the real fetch, recording each request. */
function recordingFetch() {
  const requests: { url: string; method: string; body: string; contentType: string | null }[] = [];
  const fetchLike: FetchLike = async (url, init) => {
    requests.push({
      url,
      method: init.method ?? 'GET',
      body: typeof init.body === 'string' ? init.body : '',
      contentType: new Headers(init.headers).get('content-type'),
    });
    return fetch(url, init);
  };
  return { requests, fetch: fetchLike };
}

describe('the wire format', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('sends information functions as a POST form by default, so the key is not in the URL', async () => {
    const recorder = recordingFetch();
    const client = new BatonClient({ baseUrl: server.url, ...server.credentials, fetch: recorder.fetch });
    expect((await client.getCustomer()).UID).toBe(server.credentials.customer);
    const request = recorder.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).not.toContain(server.credentials.key);
    expect(request.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({ ...server.credentials, type: 'json' });
  });

  it('waits for the answer under a timeout longer than a timer can take (over 24.8 days), not 1 ms', async () => {
    // Node fires a setTimeout over 2^31 - 1 ms after 1 ms: such a timeout timed out every call at once.
    for (const timeoutMs of [2 ** 31, 1e12]) {
      const client = new BatonClient({ baseUrl: server.url, ...server.credentials, timeoutMs, retry: { attempts: 1 } });
      expect((await client.getCustomer()).UID).toBe(server.credentials.customer);
      expect((await client.getCustomer({ timeoutMs })).UID).toBe(server.credentials.customer);
    }
  });

  it('sends information functions as GET with type=json in the query when asked', async () => {
    const recorder = recordingFetch();
    const client = new BatonClient({
      baseUrl: `${server.url}/`,
      ...server.credentials,
      informationMethod: 'GET',
      fetch: recorder.fetch,
    });
    await client.getCustomer();
    expect(recorder.requests).toHaveLength(1);
    const url = new URL(recorder.requests[0]!.url);
    expect(recorder.requests[0]!.method).toBe('GET');
    expect(url.pathname).toBe('/_access/getCustomer');
    expect(Object.fromEntries(url.searchParams)).toEqual({ ...server.credentials, type: 'json' });
  });

  it('sends commands as a POST form, booleans and numbers as text, Dates as ISO 8601', async () => {
    const recorder = recordingFetch();
    const client = new BatonClient({ baseUrl: server.url, ...server.credentials, fetch: recorder.fetch });
    await client.createConferenceReserved({
      name: 'Wire',
      greenroom: false,
      reservations: [{ startDate: new Date(Date.UTC(2026, 1, 1, 17, 0, 0)), duration: 30, estimatedCallers: 4 }],
    });
    const request = recorder.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      ...server.credentials,
      type: 'json',
      name: 'Wire',
      greenroom: 'false',
      reservationCount: '1',
      startDate1: '2026-02-01T17:00:00.000Z',
      duration1: '30',
      estimatedCallers1: '4',
    });
  });

  it('leaves out parameters that are undefined', async () => {
    const recorder = recordingFetch();
    const client = new BatonClient({ baseUrl: server.url, ...server.credentials, fetch: recorder.fetch });
    await client.createConferenceReservationless({ name: 'Sparse', contactEmail: undefined });
    expect(new URLSearchParams(recorder.requests[0]!.body).has('contactEmail')).toBe(false);
  });
});

describe('retry on -3', () => {
  // The first person takes PIN 111111; while `busy`, every draw collides with it
  // until the allocator gives up (-3, "retry the call"); then fresh PINs come.
  let busy = true;
  let fresh = 200000;
  const collidingWhileBusy = { ...cryptoRandom, pin: () => (busy ? '111111' : String(fresh++)) };
  let server: TestServer;
  let conference: string;

  beforeAll(async () => {
    server = await startTestServer({ random: collidingWhileBusy });
    const setup = new BatonClient({ baseUrl: server.url, ...server.credentials });
    conference = (await setup.createConferenceReservationless({ name: 'Busy' })).UID;
    expect((await setup.addPerson({ conference, role: 'PARTICIPANT' })).PIN).toBe('111111');
  });
  afterAll(() => server.close());
  afterEach(() => {
    busy = true;
  });

  it('gives up with BatonApiError -3 (retryable) when retrying is off', async () => {
    const client = new BatonClient({ baseUrl: server.url, ...server.credentials, retry: { attempts: 1 } });
    const error = await client.addPerson({ conference, role: 'PARTICIPANT' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatonApiError);
    expect(error).toMatchObject({ code: -3, functionName: 'addPerson', retryable: true });
  });

  it('retries after a -3 and returns the result of the attempt that succeeded', async () => {
    let attempts = 0;
    // The database "recovers" once the client has seen a -3.
    const observing: FetchLike = async (url, init) => {
      attempts++;
      const response = await fetch(url, init);
      if (((await response.clone().json()) as { code: number }).code === -3) busy = false;
      return response;
    };
    const client = new BatonClient({
      baseUrl: server.url,
      ...server.credentials,
      fetch: observing,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const person = await client.addPerson({ conference, role: 'PARTICIPANT', name: 'Patient' });
    expect(person.name).toBe('Patient');
    expect(person.PIN).not.toBe('111111');
    expect(attempts).toBe(2);
  });

  it('does not retry other codes', async () => {
    const recorder = recordingFetch();
    const client = new BatonClient({ baseUrl: server.url, ...server.credentials, fetch: recorder.fetch });
    await expect(client.getConference({ conferenceUID: 'NOSUCHCONFERENCE' })).rejects.toMatchObject({ code: -2 });
    expect(recorder.requests).toHaveLength(1);
  });
});

describe('commands with idempotency keys', () => {
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    server = await startTestServer();
    conference = (
      await new BatonClient({ baseUrl: server.url, ...server.credentials }).createConferenceReservationless()
    ).UID;
  });
  afterAll(() => server.close());

  it('retries a command whose answer was lost, and the server runs it once', async () => {
    const before = (await server.call('getConference', { conferenceUID: conference })).value.persons.length as number;
    const keys: (string | null)[] = [];
    let calls = 0;
    // The first answer is lost on the way back: the server did the work, the client sees a broken connection.
    const losing: FetchLike = async (url, init) => {
      calls++;
      keys.push(new Headers(init.headers).get('idempotency-key'));
      const response = await fetch(url, init);
      if (calls === 1) {
        await response.text();
        throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
      }
      return response;
    };
    const client = new BatonClient({
      baseUrl: server.url,
      ...server.credentials,
      fetch: losing,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const person = await client.addPerson({ conference, role: 'PARTICIPANT', name: 'Lost answer' });
    expect(calls).toBe(2);
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
    const data = await server.call('getConferenceData', { conferenceUID: conference });
    expect(data.value.person).toHaveLength(before + 1);
    expect(data.value.person.filter((p: { name: string }) => p.name === 'Lost answer')).toEqual([
      expect.objectContaining({ UID: person.UID, PIN: person.PIN }),
    ]);
  });

  it('sends the idempotency key the caller chose', async () => {
    const recorder = recordingFetch();
    const client = new BatonClient({ baseUrl: server.url, ...server.credentials, fetch: recorder.fetch });
    const first = await client.addPerson({ conference, role: 'PARTICIPANT' }, { idempotencyKey: 'order-77' });
    const again = await client.addPerson({ conference, role: 'PARTICIPANT' }, { idempotencyKey: 'order-77' });
    expect(again.UID).toBe(first.UID);
    const other = await client
      .addPerson({ conference, role: 'PRESENTER' }, { idempotencyKey: 'order-77' })
      .catch((e: unknown) => e);
    expect(other).toMatchObject({ code: -2 });
  });
});

describe('transport failures', () => {
  let silent: Server;
  let silentUrl: string;
  let seen = 0;
  const keysSeen: (string | undefined)[] = [];
  beforeAll(async () => {
    // A server that reads the request and never answers.
    silent = createServer((request) => {
      seen++;
      keysSeen.push(request.headers['idempotency-key'] as string | undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('times out an attempt with BatonNetworkError "timeout"', async () => {
    const client = new BatonClient({
      baseUrl: silentUrl,
      customer: 'C',
      key: 'K',
      timeoutMs: 200,
      retry: { attempts: 1 },
    });
    const error = await client.getCustomer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatonNetworkError);
    expect(error).toMatchObject({ failure: 'timeout', functionName: 'getCustomer' });
    expect(seen).toBeGreaterThan(0);
  });

  it('retries a timed-out information function, and a command too, each retry with the same Idempotency-Key', async () => {
    const before = seen;
    const options = { baseUrl: silentUrl, customer: 'C', key: 'K', timeoutMs: 100 };
    const retry = { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 };
    await expect(new BatonClient({ ...options, retry }).getCustomer()).rejects.toMatchObject({ failure: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen - before).toBe(2);
    expect(keysSeen.slice(before)).toEqual([undefined, undefined]);
    const beforeCommand = seen;
    const client = new BatonClient({ ...options, retry });
    await expect(client.cancelConference({ conference: 'X' })).rejects.toMatchObject({ failure: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen - beforeCommand).toBe(2);
    const [firstKey, retryKey] = keysSeen.slice(beforeCommand);
    expect(firstKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(retryKey).toBe(firstKey);
    // The next logical call has a key of its own.
    const beforeNext = seen;
    await expect(client.cancelConference({ conference: 'X' })).rejects.toMatchObject({ failure: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(keysSeen[beforeNext]).not.toBe(firstKey);
  });

  it('stops when the caller aborts, with failure "aborted"', async () => {
    const controller = new AbortController();
    const client = new BatonClient({ baseUrl: silentUrl, customer: 'C', key: 'K', timeoutMs: 0 });
    const pending = client.getCustomer({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'BatonNetworkError', failure: 'aborted' });
  });

  it('reports an unreachable server as failure "network"', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const client = new BatonClient({ baseUrl: url, customer: 'C', key: 'K', retry: { attempts: 1 } });
    await expect(client.getCustomer()).rejects.toMatchObject({ name: 'BatonNetworkError', failure: 'network' });
  });

  it('reports an answer that is not an envelope as failure "bad-response" with the HTTP status', async () => {
    const proxy = createServer((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad gateway</html>');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const client = new BatonClient({ baseUrl: url, customer: 'C', key: 'K' });
      await expect(client.addPerson({ conference: 'X', role: 'PARTICIPANT' })).rejects.toMatchObject({
        name: 'BatonNetworkError',
        failure: 'bad-response',
        status: 502,
      });
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe('the client package', () => {
  it('imports nothing Node-only in its runtime code (it runs in browsers)', () => {
    const dir = new URL('.', import.meta.url);
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThan(3);
    for (const file of sources) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      expect(
        imports.filter((spec) => !spec.startsWith('./')),
        file,
      ).toEqual([]);
    }
  });
});

describe('hostile or broken server answers', () => {
  let hostile: Server;
  let url: string;
  let requests = 0;
  /** What the server answers next: status, headers, body (or a writer for a body that never ends). */
  let answer: (request: string) => { type?: string; body: string | ((write: (chunk: string) => boolean) => void) };
  beforeAll(async () => {
    hostile = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        requests++;
        const { type, body: content } = answer(body);
        response.writeHead(200, { 'content-type': type ?? 'application/json' });
        if (typeof content === 'string') {
          response.end(content);
          return;
        }
        // Writes as fast as the client reads, until the client goes away.
        const pump = () => {
          while (!response.destroyed && content((chunk) => response.write(chunk)));
          if (!response.destroyed) response.once('drain', pump);
        };
        response.on('error', () => undefined);
        pump();
      });
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    hostile.closeAllConnections();
    await new Promise((resolve) => hostile.close(resolve));
  });
  const client = (options: Partial<ConstructorParameters<typeof BatonClient>[0]> = {}) =>
    new BatonClient({ baseUrl: url, customer: 'C', key: 'K', retry: { attempts: 1 }, ...options });

  it('stops reading a list whose server names a page it gave before, instead of reading forever', async () => {
    const conference = { UID: 'A000000000000001', name: 'loop' };
    answer = () => ({
      body: JSON.stringify({ message: '', value: { conference: [conference], nextCursor: 'same' }, code: 0 }),
    });
    const before = requests;
    const read: string[] = [];
    const error = await (async () => {
      for await (const item of client().listAll('getUpcomingConference')) read.push(item.UID);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatonNetworkError);
    expect(error).toMatchObject({ failure: 'bad-response', functionName: 'getUpcomingConference' });
    expect(requests - before).toBe(2);
    expect(read).toEqual([conference.UID, conference.UID]);
  });

  it('stops reading a list whose answer holds no list of conferences (a string would be read letter by letter)', async () => {
    for (const value of ['{"conference":"abc"}', '{}', 'null', '"x"']) {
      answer = () => ({ body: `{"message":"","value":${value},"code":0}` });
      const read: unknown[] = [];
      const error = await (async () => {
        for await (const item of client().listAll('getExpiredConference')) read.push(item);
      })().catch((e: unknown) => e);
      expect(error, value).toMatchObject({ name: 'BatonNetworkError', failure: 'bad-response' });
      expect(read).toEqual([]);
    }
  });

  it('refuses an answer over maxResponseBytes, declared or streamed without end, as "bad-response"', async () => {
    answer = () => ({ body: `{"message":"","code":0,"value":{"name":"${'x'.repeat(300_000)}"}}` });
    await expect(client({ maxResponseBytes: 100_000 }).getCustomer()).rejects.toMatchObject({
      name: 'BatonNetworkError',
      failure: 'bad-response',
      message: expect.stringContaining('larger than 100000 bytes'),
    });
    // Chunked, never ending: refused once the limit is read, long before the timeout.
    answer = () => ({ body: (write) => write('{"message":"","code":0,"value":"' + 'y'.repeat(16_384)) });
    const started = Date.now();
    await expect(client({ maxResponseBytes: 1_000_000, timeoutMs: 20_000 }).getCustomer()).rejects.toMatchObject({
      failure: 'bad-response',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    // Within the limit, the same client reads the answer.
    answer = () => ({ body: JSON.stringify({ message: '', value: { UID: 'C' }, code: 0 }) });
    expect(await client({ maxResponseBytes: 100_000 }).getCustomer()).toMatchObject({ UID: 'C' });
  });

  it("reads an XML answer's element named __proto__, constructor or toString as a field, never as the prototype", async () => {
    answer = () => ({
      type: 'text/xml',
      body:
        '<?xml version="1.0" encoding="UTF-8"?><document><value><UID>C</UID><name>n</name>' +
        '<__proto__><polluted>yes</polluted></__proto__><constructor>c</constructor><toString>t</toString>' +
        '<extra><__proto__><deep>yes</deep></__proto__><toString>1</toString><toString>2</toString></extra>' +
        '</value><code>0</code><message></message></document>',
    });
    const customer = (await client({ format: 'xml' }).getCustomer()) as unknown as Record<string, unknown>;
    expect(Object.getPrototypeOf(customer)).toBe(Object.prototype);
    expect(customer.polluted).toBeUndefined();
    expect(Object.hasOwn(customer, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(customer, '__proto__')?.value).toEqual({ polluted: 'yes' });
    expect(customer.constructor).toBe('c');
    expect(customer.toString).toBe('t');
    const extra = customer.extra as Record<string, unknown>;
    expect(Object.getPrototypeOf(extra)).toBe(Object.prototype);
    expect(extra.deep).toBeUndefined();
    expect(extra.toString).toEqual(['1', '2']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads a JSON code written as a string, as the spec\'s own example writes it ("code":"0")', async () => {
    answer = () => ({ body: '{"message":"","value":{"UID":"C","name":"n"},"code":"0"}' });
    expect(await client().getCustomer()).toMatchObject({ UID: 'C' });
    answer = () => ({ body: '{"message":"bad","value":null,"code":"-2"}' });
    await expect(client().getCustomer()).rejects.toMatchObject({ name: 'BatonApiError', code: -2, message: 'bad' });
    for (const code of ['"zero"', '1.5', '"0x0"', 'null', '[0]']) {
      answer = () => ({ body: `{"message":"","value":{},"code":${code}}` });
      await expect(client().getCustomer(), code).rejects.toMatchObject({ failure: 'bad-response' });
    }
  });
});
