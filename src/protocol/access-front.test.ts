import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessFrontOf } from '../app.js';
import { sqliteExecutorOf } from '../store/database.js';
import { parseTrustProxy, type TrustProxy } from './client-address.js';
import { createConference, startTestServer, type TestServer, type TestServerOptions } from '../../test/harness.js';

/** Sends raw bytes on a fresh connection and returns the raw answer (head and body as the wire carried them). */
/**
 * Two servers on one database and customer with the same `options`: the
 * node:http front, and Fastify alone. `lines` collects each one's log lines.
 */
async function startBothFronts(
  options: TestServerOptions,
  lines?: { fast: string[]; framework: string[] },
): Promise<{ fast: TestServer; framework: TestServer }> {
  const logTo = (into: string[] | undefined) =>
    into ? { logStream: { write: (line: string) => into.push(line) } } : {};
  const fast = await startTestServer({ ...options, ...logTo(lines?.fast) });
  const framework = await startTestServer({
    ...options,
    ...logTo(lines?.framework),
    database: fast.database,
    credentials: fast.credentials,
    accessFront: false,
  });
  return { fast, framework };
}

function exchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, end));
      if (length && Buffer.byteLength(text.slice(end + 4), 'latin1') >= Number(length[1])) {
        socket.destroy();
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    socket.on('error', reject);
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(request, 'utf8');
  });
}

/** Sends raw bytes on a fresh connection (requests pipelined in one write) and returns the first `count` answers. */
function exchangeAll(url: string, request: string, count: number): Promise<string[]> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = Buffer.alloc(0);
    const answers: string[] = [];
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      for (;;) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(data.subarray(0, end).toString('latin1'))?.[1] ?? 0);
        if (data.length < end + 4 + length) return;
        answers.push(data.subarray(0, end + 4 + length).toString('utf8'));
        data = data.subarray(end + 4 + length);
        if (answers.length === count) {
          socket.destroy();
          resolve(answers);
          return;
        }
      }
    });
    socket.on('error', reject);
    socket.on('end', () => resolve(answers));
    socket.write(request, 'utf8');
  });
}

/** The answer with what differs between two servers by design masked: the date, request ids. */
function comparable(answer: string): string {
  const id = /\r\nx-request-id: ([^\r]+)/.exec(answer)?.[1];
  let text = answer.replace(/\r\ndate: [^\r]+/i, '\r\ndate: <date>');
  if (id) text = text.split(id).join('<request id>');
  return text;
}

interface Shape {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

function raw(shape: Shape, host: string): string {
  const body = shape.body;
  const headers: Record<string, string> = { host, ...shape.headers };
  if (body !== undefined && !('content-length' in headers) && !('transfer-encoding' in headers)) {
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `${shape.method ?? 'GET'} ${shape.path} HTTP/1.1\r\n${head}\r\n${body ?? ''}`;
}

describe('the node:http front of /_access answers as the Fastify route does', () => {
  let fast: TestServer;
  let framework: TestServer;
  let conference: string;
  let auth: string;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    // One public URL, so answers that carry links are the same on both.
    const config = { bodyLimit: 4096, authFailureLimit: 1000, publicUrl: 'https://baton.example' };
    ({ fast, framework } = await startBothFronts({ config }));
    conference = await createConference(fast);
    auth = new URLSearchParams({ ...fast.credentials }).toString();
  });
  afterAll(async () => {
    await framework.close();
    await fast.close();
  });

  /** Sends `shape` to both servers; expects the same bytes, and says which front answered on the fast one. */
  async function same(shape: Shape): Promise<{ answer: string; byFront: boolean }> {
    const front = accessFrontOf(fast.app)!;
    const before = front.answered;
    const a = await exchange(fast.url, raw(shape, new URL(fast.url).host));
    const byFront = front.answered > before;
    const b = await exchange(framework.url, raw(shape, new URL(fast.url).host));
    expect(comparable(a)).toBe(comparable(b));
    return { answer: a, byFront };
  }

  it('has no front on the server built without one', () => {
    expect(accessFrontOf(framework.app)).toBeUndefined();
    expect(accessFrontOf(fast.app)).toBeDefined();
  });

  it('answers a successful read the same, in JSON and XML, GET and POST, any case of the name', async () => {
    const query = `${auth}&conferenceUID=${conference}`;
    for (const shape of [
      { path: `/_access/getConference?${query}&type=json` },
      { path: `/_access/getConference?${query}` },
      { path: `/_access/GETCONFERENCE?${query}&type=JSON` },
      { path: `/_ACCESS/getConference?${query}&type=json` },
      { method: 'POST', path: '/_access/getConference', headers: form, body: `${query}&type=json` },
      {
        method: 'POST',
        path: '/_access/getConference?type=xml',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: `${query}&type=json`,
      },
      {
        method: 'POST',
        path: '/_access/getConference',
        headers: json,
        body: JSON.stringify({ ...fast.credentials, conferenceUID: conference, type: 'json' }),
      },
      { method: 'POST', path: `/_access/getConference?${query}`, body: '' },
    ]) {
      const { answer, byFront } = await same(shape);
      expect(byFront).toBe(true);
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(answer).toMatch(/"code":0}$|<code>0<\/code>/);
      expect(answer).toContain('\r\ncache-control: no-store\r\n');
      expect(answer).toContain('\r\nConnection: keep-alive\r\n');
    }
  });

  it("reuses a cached answer's bytes, JSON and XML, until another connection changes the conference", async () => {
    const executor = sqliteExecutorOf(fast.services.store.db);
    const uid = await createConference(fast);
    const shapes = [
      { path: `/_access/getConference?${auth}&conferenceUID=${uid}&type=json` },
      { path: `/_access/getConference?${auth}&conferenceUID=${uid}` },
    ];
    const before: string[] = [];
    for (const shape of shapes) {
      const first = (await same(shape)).answer;
      const reused = executor?.cacheStats.reused ?? 0;
      const again = await same(shape);
      expect(again.byFront).toBe(true);
      expect(comparable(again.answer)).toBe(comparable(first));
      // SQLite: the second answer is the first one's bytes (PostgreSQL has no cache).
      if (executor) expect(executor.cacheStats.reused).toBe(reused + 1);
      before.push(comparable(first));
    }
    // The Fastify-only server has a connection of its own: another writer to the fast one.
    const person = await framework.call('addPerson', { conference: uid, role: 'PARTICIPANT', name: 'Ann' });
    expect(person.code).toBe(0);
    for (const [i, shape] of shapes.entries()) {
      const after = (await same(shape)).answer;
      expect(after).toContain(person.value.UID as string);
      expect(comparable(after)).not.toBe(before[i]);
      expect(comparable((await same(shape)).answer)).toBe(comparable(after));
    }
  });

  it('answers pipelined requests one after another: a cached read behind a change on its connection shows it', async () => {
    const executor = sqliteExecutorOf(fast.services.store.db);
    const uid = await createConference(fast);
    const host = new URL(fast.url).host;
    const read = raw({ path: `/_access/getConference?${auth}&conferenceUID=${uid}&type=json` }, host);
    const add = (name: string) =>
      raw(
        {
          method: 'POST',
          path: '/_access/addPerson',
          headers: form,
          body: `${auth}&conference=${uid}&role=PARTICIPANT&name=${name}&type=json`,
        },
        host,
      );
    // Cached: the reads below would be answered at once from it, were they not run in order.
    const [before] = await exchangeAll(fast.url, read + read, 2);
    const hits = executor?.cacheStats.hits ?? 0;
    const answers = await exchangeAll(fast.url, read + add('Ann') + read + add('Bob') + read + read, 6);
    expect(answers).toHaveLength(6);
    expect(answers.every((answer) => answer.endsWith('"code":0}'))).toBe(true);
    const added = [answers[1]!, answers[3]!].map((answer) => /"UID":"([A-Z0-9]+)"/.exec(answer)![1]!);
    const shows = (answer: string) => added.map((person) => answer.includes(person));
    expect(shows(before!)).toEqual([false, false]);
    expect(shows(answers[0]!)).toEqual([false, false]);
    expect(shows(answers[2]!)).toEqual([true, false]);
    expect(shows(answers[4]!)).toEqual([true, true]);
    expect(comparable(answers[5]!).replace(/<request id>/g, '')).toBe(
      comparable(answers[4]!).replace(/<request id>/g, ''),
    );
    // The first and the last read came from the cache (SQLite): running them in order cost them nothing.
    if (executor) expect(executor.cacheStats.hits).toBeGreaterThan(hits);
  });

  it('answers a wrong key with the same bytes every time, in JSON and XML', async () => {
    const wrong = new URLSearchParams({ customer: fast.credentials.customer, key: 'not-the-key' }).toString();
    for (const type of ['json', 'xml']) {
      const shape = { path: `/_access/getConference?${wrong}&conferenceUID=${conference}&type=${type}` };
      const first = (await same(shape)).answer;
      expect(first).toContain(type === 'json' ? '"code":-5' : '<code>-5</code>');
      expect(comparable((await same(shape)).answer)).toBe(comparable(first));
    }
  });

  it('answers every refusal the same: parameters, format, command by GET, NUL, bad escapes, too many parameters', async () => {
    const query = `${auth}&conferenceUID=${conference}`;
    const many = Array.from({ length: 401 }, (_, i) => `p${i}=1`).join('&');
    const cases: Shape[] = [
      { path: `/_access/getConference?${auth}&type=json` },
      { path: `/_access/getConference?${query}&type=yaml` },
      { path: `/_access/getConference?${query}&type=%zz` },
      { path: `/_access/getConference?${query}&type=%C3` },
      { path: `/_access/getConference?${query}&type=x%41%zz` },
      { path: `/_access/getConference?${query}&type=xml&type=jso%6E` },
      { path: `/_access/getConference?${query}&ty%70e=a+b` },
      { method: 'POST', path: '/_access/getConference', headers: form, body: `${query}&type=%zz%41` },
      { method: 'POST', path: '/_access/getConference', headers: form, body: `${query}&type=%C3%28` },
      { method: 'POST', path: '/_access/getConference', headers: form, body: `${query}&type=a+b%2B` },
      { method: 'POST', path: '/_access/getConference', headers: form, body: `${query}&type=json&name=%00` },
      { path: `/_access/addPerson?${auth}&conference=${conference}&type=json&role=PARTICIPANT` },
      {
        method: 'POST',
        path: '/_access/addPerson',
        headers: form,
        body: `${auth}&conference=${conference}&type=json&role=KING`,
      },
      { method: 'POST', path: '/_access/getConference', headers: form, body: `${many}&type=json` },
      { path: `/_access/getConference?customer=${fast.credentials.customer}&key=&type=json` },
      { path: `/_access/getConference?${query}&type=json&conferenceUID=NOPE` },
    ];
    for (const shape of cases) {
      const { answer, byFront } = await same(shape);
      expect(byFront).toBe(true);
      // Every one a refusal but the repeated type, where the last (json, once decoded) wins.
      const repeated = shape.path.endsWith('type=jso%6E');
      expect(answer).toMatch(repeated ? /"code":0}$/ : /"code":-\d+}$|<code>-\d+<\/code>/);
    }
  });

  it('decodes random queries and form bodies as Fastify does (the answers quote the type sent)', async () => {
    const pieces = ['%', '2', 'B', '+', '=', '&', 'C', '3', 'z', '0', '%C3%A9', '%E2%82', '%zz', '%2B', 'type=', 'é'];
    let state = 20261201;
    const next = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    for (let i = 0; i < 150; i++) {
      let text = '';
      for (let j = Math.floor(next() * 12); j > 0; j--) text += pieces[Math.floor(next() * pieces.length)];
      const shape: Shape =
        i % 2 === 0
          ? { path: `/_access/getCustomer?${auth}&type=${text.replace(/é/g, '%C3%A9')}` }
          : { method: 'POST', path: '/_access/getCustomer', headers: form, body: `${auth}&type=${text}` };
      const { byFront } = await same(shape);
      expect(byFront).toBe(true);
    }
  });

  it('reads a +json body as JSON, the same on both fronts, with or without a charset', async () => {
    const body = JSON.stringify({ ...fast.credentials, conferenceUID: conference, type: 'json' });
    for (const [type, byTheFront] of [
      ['application/vnd.api+json', true],
      ['application/merge-patch+json', true],
      ['Application/VND.API+JSON; charset=UTF-8', true],
      ['application/problem+json;charset=utf-8', true],
      ['application/vnd.api+json; charset=iso-8859-1', false],
      ['application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"', false],
    ] as const) {
      const { answer, byFront } = await same({
        method: 'POST',
        path: '/_access/getConference',
        headers: { 'content-type': type },
        body,
      });
      expect(byFront).toBe(byTheFront);
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(answer).toMatch(/"code":0}$/);
    }
    // A bad +json body is refused as a bad application/json one is.
    const { answer } = await same({
      method: 'POST',
      path: '/_access/getCustomer?type=json',
      headers: { 'content-type': 'application/vnd.api+json' },
      body: '{bad',
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('refuses a bad JSON body the same, with HTTP 400', async () => {
    for (const body of ['{bad', '', '{"__proto__":{"x":1}}', '[1,2]', '"text"']) {
      const { answer, byFront } = await same({
        method: 'POST',
        path: '/_access/getCustomer?type=json',
        headers: json,
        body,
      });
      expect(byFront).toBe(true);
      if (body !== '[1,2]' && body !== '"text"') expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    }
  });

  it('hands unusual requests to Fastify, which answers them as before', async () => {
    const query = `${auth}&type=json`;
    const cases: Shape[] = [
      { path: `/_access/dropTables?${query}` },
      { path: `/_access/get%43ustomer?${query}` },
      { path: `/_access/getCustomer/?${query}` },
      { method: 'PUT', path: `/_access/getCustomer?${query}` },
      { method: 'POST', path: '/_access/getCustomer', headers: { 'content-type': 'text/plain' }, body: query },
      { method: 'POST', path: '/_access/getCustomer', headers: form, body: 'x'.repeat(5000) },
      {
        method: 'POST',
        path: '/_access/getCustomer',
        headers: { ...form, 'transfer-encoding': 'chunked' },
        body: `${Buffer.byteLength(query).toString(16)}\r\n${query}\r\n0\r\n\r\n`,
      },
    ];
    for (const shape of cases) {
      const { byFront } = await same(shape);
      expect(byFront).toBe(false);
    }
  });

  it('answers idempotent commands the same, the stored answer included', async () => {
    const body = `${auth}&type=json&conference=${conference}&role=PARTICIPANT&name=Once`;
    const headers = { ...form, 'idempotency-key': 'front-compare-1' };
    // The first call runs on the fast server; the repeat on each server gets the stored answer.
    const first = await exchange(fast.url, raw({ method: 'POST', path: '/_access/addPerson', headers, body }, 'x'));
    expect(first).toMatch(/"code":0}$/);
    const { answer } = await same({ method: 'POST', path: '/_access/addPerson', headers, body });
    expect(answer.slice(answer.indexOf('\r\n\r\n'))).toBe(first.slice(first.indexOf('\r\n\r\n')));
    // Other parameters with the same key: refused.
    await same({ method: 'POST', path: '/_access/addPerson', headers, body: `${body}x` });
    await same({
      method: 'POST',
      path: '/_access/addPerson',
      headers: { ...headers, 'idempotency-key': 'has space' },
      body,
    });
  });
});

describe('the node:http front throttles failed keys as the Fastify route does', () => {
  let fast: TestServer;
  let framework: TestServer;
  beforeAll(async () => {
    const config = { authFailureLimit: 3 };
    ({ fast, framework } = await startBothFronts({ config }));
  });
  afterAll(async () => {
    await framework.close();
    await fast.close();
  });

  it('refuses a throttled address the same, with Retry-After', async () => {
    const host = new URL(fast.url).host;
    const wrong = raw({ path: `/_access/getCustomer?customer=${fast.credentials.customer}&key=wrong&type=json` }, host);
    // Three failures on each (on PostgreSQL the count is shared, so both are over the limit either way).
    for (let i = 0; i < 3; i++) {
      expect(await exchange(fast.url, wrong)).toMatch(/"code":-5}$/);
      await exchange(framework.url, wrong);
    }
    const right = raw({ path: `/_access/getCustomer?${new URLSearchParams({ ...fast.credentials })}&type=json` }, host);
    const front = accessFrontOf(fast.app)!;
    const before = front.answered;
    const a = await exchange(fast.url, right);
    expect(front.answered).toBe(before + 1);
    expect(comparable(a)).toBe(comparable(await exchange(framework.url, right)));
    expect(a).toContain('\r\nretry-after: 60\r\n');
    expect(a).toMatch(/too many failures from your address; retry in 60 s\)","value":null,"code":-5}$/);
  });
});

describe('the node:http front logs, counts and names requests as the Fastify route does', () => {
  let fast: TestServer;
  let framework: TestServer;
  const lines = { fast: [] as string[], framework: [] as string[] };

  beforeAll(async () => {
    // The test is the trusted proxy in front: its X-Request-Id is kept.
    const config = { logLevel: 'info', trustProxy: parseTrustProxy('127.0.0.1') as TrustProxy };
    ({ fast, framework } = await startBothFronts({ config, metrics: true }, lines));
  });
  afterAll(async () => {
    await framework.close();
    await fast.close();
  });

  /** The line logged for request `id`, with what differs by design (time, duration) masked. */
  function lineOf(which: 'fast' | 'framework', id: string): Record<string, unknown> {
    const mine = lines[which].filter((line) => line.includes(`"${id}"`));
    expect(mine).toHaveLength(1);
    const line = JSON.parse(mine[0]!) as Record<string, unknown>;
    expect(typeof line.ms).toBe('number');
    return { ...line, time: 0, ms: 0 };
  }

  it('writes the same line, secrets redacted, with the proxy’s request id, and counts the call', async () => {
    const secret = fast.credentials.key;
    const query = `customer=${fast.credentials.customer}&key=${secret}&type=json`;
    for (const [n, path] of [
      [1, `/_access/getCustomer?${query}`],
      [2, `/_access/getCustomer?customer=${fast.credentials.customer}&key=wrong&type=json`],
      [3, `/_access/getCustomer?${query}&type=yaml`],
    ] as const) {
      for (const which of ['fast', 'framework'] as const) {
        const server = which === 'fast' ? fast : framework;
        const response = await fetch(`${server.url}${path}`, { headers: { 'x-request-id': `front-log-${n}` } });
        expect(response.headers.get('x-request-id')).toBe(`front-log-${n}`);
        await response.text();
      }
      const line = lineOf('fast', `front-log-${n}`);
      expect(line).toEqual(lineOf('framework', `front-log-${n}`));
      // A bad type is refused before the function is looked up: "unknown", as ever.
      const fn = n === 3 ? 'unknown' : 'getCustomer';
      expect(line).toMatchObject({ reqId: `front-log-${n}`, msg: 'api call', fn, status: 200 });
    }
    expect(lines.fast.join('\n')).not.toContain(secret);
    const exposition = await fast.services.metrics!.exposition();
    expect(exposition).toContain('baton_api_requests_total{function="getCustomer",format="json",code="-5"} 1');
  });
});
