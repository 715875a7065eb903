import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawFrontOf } from '../app.js';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';
import { answersIn, comparable } from '../../test/raw-http.js';

/**
 * The raw-socket front against the node:http front (`rawFront: false`), on
 * one database and customer: real HTTP over `net` sockets, the answers'
 * bytes compared whole, the Date header's value and request ids excepted
 * (each server counts its own).
 */

interface Conversation {
  /** Everything received, as text. */
  text: string;
  /** The number of whole answers in it. */
  count: number;
  /** The server closed the connection. */
  closed: boolean;
}

/**
 * Writes `parts` on a fresh connection (each its own write; `byteAtATime`:
 * every byte its own write, a turn of the event loop apart) and reads until
 * `count` answers came or the server closed the connection.
 */
async function converse(
  url: string,
  parts: (string | Buffer)[],
  count: number,
  options: { byteAtATime?: boolean } = {},
): Promise<Conversation> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.setNoDelay(true);
  let data = Buffer.alloc(0);
  const done = new Promise<Conversation>((resolve, reject) => {
    const finish = (closed: boolean) => {
      socket.destroy();
      resolve({ text: data.toString('utf8'), count: answersIn(data).answers.length, closed });
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (answersIn(data).answers.length >= count) finish(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? finish(true) : reject(error)));
    socket.on('close', () => finish(true));
    // Not a timing assertion: a conversation that stalls fails with what it was, not as the test's timeout.
    const stall = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no ${count} answers to ${JSON.stringify(parts.map((part) => part.toString().slice(0, 300)))}: ${data.toString('utf8')}`,
        ),
      );
    }, 10_000);
    socket.on('close', () => clearTimeout(stall));
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    if (!options.byteAtATime) {
      if (!socket.destroyed) socket.write(bytes);
      continue;
    }
    for (let i = 0; i < bytes.length && !socket.destroyed; i++) {
      socket.write(bytes.subarray(i, i + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return done;
}

function request(method: string, path: string, headers: Record<string, string>, body = ''): string {
  const all = { ...headers };
  if (body !== '' && !Object.keys(all).some((name) => /^(content-length|transfer-encoding)$/i.test(name))) {
    all['content-length'] = String(Buffer.byteLength(body));
  }
  const head = Object.entries(all)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `${method} ${path} HTTP/1.1\r\n${head}\r\n${body}`;
}

describe('the raw-socket front answers as the node:http front does, byte for byte', () => {
  let fast: TestServer;
  let node: TestServer;
  let conference: string;
  let auth: string;
  const host = { host: 'baton.example' };
  const form = { ...host, 'content-type': 'application/x-www-form-urlencoded' };
  const json = { ...host, 'content-type': 'application/json' };

  beforeAll(async () => {
    const config = { bodyLimit: 4096, authFailureLimit: 1000, publicUrl: 'https://baton.example' };
    fast = await startTestServer({ config });
    node = await startTestServer({
      config,
      database: fast.database,
      credentials: fast.credentials,
      rawFront: false,
    });
    conference = await createConference(fast);
    auth = new URLSearchParams({ ...fast.credentials }).toString();
  });
  afterAll(async () => {
    await node.close();
    await fast.close();
  });

  /**
   * Sends `parts` to both servers; expects the same bytes (and the same
   * close), and returns the raw front's conversation with how many requests
   * it answered itself and how many connections it handed to node:http.
   */
  async function same(
    parts: string[],
    count: number,
    options: { byteAtATime?: boolean } = {},
  ): Promise<Conversation & { answered: number; handedOver: number }> {
    const raw = rawFrontOf(fast.app)!;
    const answered = raw.answered;
    const handedOver = raw.handedOver;
    const a = await converse(fast.url, parts, count, options);
    const afterAnswered = raw.answered - answered;
    const afterHanded = raw.handedOver - handedOver;
    const b = await converse(node.url, parts, count, options);
    expect(comparable(a.text)).toBe(comparable(b.text));
    expect(a.count).toBe(b.count);
    expect(a.closed).toBe(b.closed);
    return { ...a, answered: afterAnswered, handedOver: afterHanded };
  }

  it('is installed by default and not with rawFront: false', () => {
    expect(rawFrontOf(fast.app)).toBeDefined();
    expect(rawFrontOf(node.app)).toBeUndefined();
  });

  it('answers reads, commands, refusals and keyed requests the same, JSON and XML, GET and POST', async () => {
    const query = `${auth}&conferenceUID=${conference}`;
    const wrong = new URLSearchParams({ customer: fast.credentials.customer, key: 'not-the-key' }).toString();
    const cases: { text: string; code: RegExp; status?: number }[] = [
      { text: request('GET', `/_access/getConference?${query}&type=json`, host), code: /"code":0}$/ },
      { text: request('GET', `/_access/getConference?${query}`, host), code: /<code>0<\/code>/ },
      { text: request('GET', `/_ACCESS/GETCONFERENCE?${query}&type=JSON`, host), code: /"code":0}$/ },
      { text: request('POST', '/_access/getConference', form, `${query}&type=json`), code: /"code":0}$/ },
      {
        text: request(
          'POST',
          '/_access/getConference?type=xml',
          { ...host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          query,
        ),
        code: /<code>0<\/code>/,
      },
      {
        text: request(
          'POST',
          '/_access/getConference',
          json,
          JSON.stringify({ ...fast.credentials, conferenceUID: conference, type: 'json' }),
        ),
        code: /"code":0}$/,
      },
      { text: request('POST', `/_access/getConference?${query}&type=json`, host), code: /"code":0}$/ },
      {
        text: request('GET', `/_access/getConference?${wrong}&conferenceUID=${conference}&type=json`, host),
        code: /"code":-5}$/,
      },
      {
        text: request('GET', `/_access/getConference?${wrong}&conferenceUID=${conference}`, host),
        code: /<code>-5<\/code>/,
      },
      { text: request('GET', `/_access/getConference?${auth}&type=json`, host), code: /"code":-2}$/ },
      { text: request('GET', `/_access/getConference?${query}&type=yaml`, host), code: /<code>-2<\/code>/ },
      {
        text: request('GET', `/_access/addPerson?${auth}&conference=${conference}&type=json`, host),
        code: /"code":-2}$/,
      },
      {
        text: request('POST', '/_access/addPerson', form, `${auth}&conference=${conference}&type=json&role=KING`),
        code: /"code":-2}$/,
      },
      { text: request('POST', '/_access/getCustomer?type=json', json, '{bad'), code: /"code":-2}$/, status: 400 },
      { text: request('POST', '/_access/getCustomer?type=json', json, '""'), code: /"code":-2}$/ },
    ];
    for (const { text, code, status } of cases) {
      const answer = await same([text], 1);
      expect(answer.answered, text).toBe(1);
      expect(answer.handedOver, text).toBe(0);
      expect(answer.text).toMatch(code);
      expect(answer.text.startsWith(`HTTP/1.1 ${status ?? 200} `)).toBe(true);
      if (status === 400) expect(answer.text).toContain('\r\nconnection: close\r\n');
      else expect(answer.text).toContain('\r\nConnection: keep-alive\r\nKeep-Alive: timeout=');
    }
  });

  it('answers an idempotent command the same, the stored answer included', async () => {
    const body = `${auth}&type=json&conference=${conference}&role=PARTICIPANT&name=Raw`;
    const headers = { ...form, 'idempotency-key': 'raw-compare-1' };
    const first = await converse(fast.url, [request('POST', '/_access/addPerson', headers, body)], 1);
    expect(first.text).toMatch(/"code":0}$/);
    const again = await same([request('POST', '/_access/addPerson', headers, body)], 1);
    expect(again.answered).toBe(1);
    expect(again.text.slice(again.text.indexOf('\r\n\r\n'))).toBe(first.text.slice(first.text.indexOf('\r\n\r\n')));
    // Other parameters under the same key: refused the same.
    const other = await same([request('POST', '/_access/addPerson', headers, `${body}x`)], 1);
    expect(other.answered).toBe(1);
  });

  it('reads header lines by the line rule: a token name, a colon at once, the value without its spaces', async () => {
    // The rule as regular expressions (what parseHead read with before it scanned the lines itself).
    const headerLine = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ ]*(.*?)[ ]*$/;
    const read = (head: string) => {
      const fields: Record<string, string> = {};
      for (const line of head.split('\r\n').slice(1)) {
        const match = headerLine.exec(line);
        if (match === null) return 'node';
        const name = match[1]!.toLowerCase();
        if (name in fields && name !== 'host') return 'node';
        fields[name] = match[2]!;
      }
      return fields;
    };
    const raw = rawFrontOf(fast.app)!;
    const binding = raw.front.bound!;
    const names = ['Host', 'host', 'HOST', 'x-request-id', 'X-Request-ID', 'idempotency-key', 'x-forwarded-for'];
    const odd = ['', ' ', 'x y', 'x\ty', 'na(me)', 'n"ame', 'n/me', '~!#$%&*+-.^_`|', 'a:b'];
    const values = ['', ' ', '   ', 'v', ' v', 'v ', '  v  w  ', ':', ' : ', 'a:b', '\t', 'x\ty'];
    // Deterministic: every name with every value, and the odd names, in heads of one to three lines.
    const lines: string[] = [];
    for (const name of [...names, ...odd]) for (const value of values) lines.push(`${name}:${value}`);
    lines.push('no colon', ' leading: space', 'trailing :space', ':', '');
    let compared = 0;
    for (let i = 0; i < lines.length; i++) {
      for (const extra of [[], [lines[(i * 7) % lines.length]!], [lines[(i * 13) % lines.length]!, 'host: b']]) {
        const header = ['host: a', lines[i]!, ...extra].filter((line, index, all) => all.indexOf(line) === index);
        const head = ['POST /_access/addPerson?type=json HTTP/1.1', ...header].join('\r\n');
        const parsed = raw.parseHead(head, binding);
        const expected = read(head);
        compared++;
        if (expected === 'node' || /[^\x20-\x7e\r\n]/.test(head)) {
          expect(parsed, head).toBe('node');
          continue;
        }
        const hosts = header.filter((line) => /^host:/i.test(line)).length;
        if (hosts !== 1 || parsed === 'node') {
          // Refused for its host count, or for another rule than the line's (a repeated header, a body).
          expect(parsed === 'node' || hosts === 1, head).toBe(true);
          continue;
        }
        expect(parsed.requestId, head).toBe(expected['x-request-id']);
        expect(parsed.idempotencyKey, head).toBe(expected['idempotency-key']);
        expect(parsed.forwardedFor, head).toBe(expected['x-forwarded-for']);
      }
    }
    expect(compared).toBeGreaterThan(300);
    // Over HTTP: values padded with spaces, a name in capitals, answered here and as node:http answers them.
    const answered = await same(
      [
        request('GET', `/_access/getConference?type=json&conferenceUID=${conference}&${auth}`, {
          HOST: '   baton.example  ',
          'X-Request-ID': '  abc  ',
        }),
      ],
      1,
    );
    expect(answered.answered).toBe(1);
    expect(answered.text).toContain('"code":0');
  });

  it('answers pipelined requests one at a time, in order', async () => {
    const read = request('GET', `/_access/getConference?${auth}&conferenceUID=${conference}&type=json`, host);
    const customer = request('POST', '/_access/getCustomer', form, `${auth}&type=xml`);
    const refused = request('GET', `/_access/getConference?${auth}&type=json`, host);
    const all = [read, customer, refused, read, customer].join('');
    const answer = await same([all], 5);
    expect(answer.count).toBe(5);
    expect(answer.answered).toBe(5);
    const codes = [...answer.text.matchAll(/"code":(-?\d)}|<code>(-?\d)<\/code>/g)].map((m) => m[1] ?? m[2]);
    expect(codes).toEqual(['0', '0', '-2', '0', '0']);
  });

  it('answers cached answers above and below the size written as one Buffer with their head the same, pipelined', async () => {
    // getConferenceData of 120 persons is well over the 16 kB a cached answer is copied behind its head up to
    // (written beside it instead), its getConference well under; both come from the cache on the second read.
    const big = await createConference(fast, { name: 'Big Ünïcode conference' });
    for (let done = 0; done < 120; done += 40) {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          fast.call('addPerson', { conference: big, role: 'PARTICIPANT', name: `Persön ${done + i}` }),
        ),
      );
    }
    const data = (type: string) =>
      request('GET', `/_access/getConferenceData?${auth}&conferenceUID=${big}&type=${type}`, host);
    const small = request('GET', `/_access/getConference?${auth}&conferenceUID=${big}&type=json`, host);
    const all = [data('json'), small, data('xml'), small, data('json'), data('xml')].join('');
    const first = await same([all], 6);
    const again = await same([all], 6);
    // The second time every answer is the cached one: the same bytes as the first (rendered) time.
    expect(comparable(again.text)).toBe(comparable(first.text));
    for (const answer of [first, again]) {
      expect(answer.answered).toBe(6);
      const { answers } = answersIn(Buffer.from(answer.text, 'utf8'));
      const sizes = answers.map((bytes) => bytes.length - bytes.indexOf('\r\n\r\n') - 4);
      expect(sizes[0]).toBeGreaterThan(16384);
      expect(sizes[2]).toBeGreaterThan(16384);
      expect(sizes[1]).toBeLessThan(16384);
      expect(answer.text).toContain('Persön 119');
      expect([...answer.text.matchAll(/"code":0}|<code>0<\/code>/g)]).toHaveLength(6);
    }
  });

  it('answers requests split across packets, one byte at a time, the same', async () => {
    const query = `${auth}&conferenceUID=${conference}`;
    for (const text of [
      request('GET', `/_access/getConference?${query}&type=json`, host),
      request('POST', '/_access/getConference', form, `${query}&type=xml`),
      request('POST', '/_access/getConference', json, JSON.stringify({ ...fast.credentials, type: 'json' })),
    ]) {
      const answer = await same([text, text], 2, { byteAtATime: true });
      expect(answer.count).toBe(2);
      expect(answer.answered).toBe(2);
    }
  });

  it('hands an unusual request after ordinary ones to node:http, which answers it as before', async () => {
    const read = request('GET', `/_access/getCustomer?${auth}&type=json`, host);
    const body = `${auth}&type=json`;
    const unusual: string[] = [
      // Chunked.
      request(
        'POST',
        '/_access/getCustomer',
        { ...form, 'transfer-encoding': 'chunked' },
        `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      ),
      // Expect: 100-continue, and an expectation node:http does not know.
      request('POST', '/_access/getCustomer', { ...form, expect: '100-continue' }, body),
      request('POST', '/_access/getCustomer', { ...form, expect: 'something' }, body),
      // Bytes node:http refuses, or reads otherwise: NUL, a control byte, a bare LF, a folded header.
      `GET /_access/getCustomer?${auth} HTTP/1.1\r\nhost: x\r\nx-a: a\u0000b\r\n\r\n`,
      `GET /_access/getCustomer?${auth} HTTP/1.1\r\nhost: x\r\nx-a: a\u0001b\r\n\r\n`,
      `GET /_access/getCustomer?${auth}&type=json HTTP/1.1\nhost: x\n\n`,
      `GET /_access/getCustomer?${auth}&type=json HTTP/1.1\r\nhost: x\r\nx-a: a\r\n b\r\n\r\n`,
      `GET /_access/getCustomer?${auth}&type=json HTTP/1.1\r\nhost: x\r\nx-é: 1\r\n\r\n`,
      // Over the raw front's head limit, and over node:http's.
      request('GET', `/_access/getCustomer?${auth}&type=json`, { ...host, 'x-big': 'a'.repeat(9000) }),
      request('GET', `/_access/getCustomer?${auth}&type=json`, { ...host, 'x-big': 'a'.repeat(20000) }),
      // HTTP/1.0, with and without keep-alive; no Host; two Hosts; Upgrade; Connection: close.
      `GET /_access/getCustomer?${auth}&type=json HTTP/1.0\r\n\r\n`,
      `GET /_access/getCustomer?${auth}&type=json HTTP/1.0\r\nconnection: keep-alive\r\n\r\n`,
      `GET /_access/getCustomer?${auth}&type=json HTTP/1.1\r\n\r\n`,
      `GET /_access/getCustomer?${auth}&type=json HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n`,
      request('GET', `/_access/getCustomer?${auth}&type=json`, {
        ...host,
        connection: 'upgrade',
        upgrade: 'websocket',
      }),
      request('GET', `/_access/getCustomer?${auth}&type=json`, { ...host, connection: 'close' }),
      // Two Content-Lengths, a bad one, a body over the limit, a body kind Fastify reads.
      `POST /_access/getCustomer HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      request('POST', '/_access/getCustomer', { ...form, 'content-length': '+5' }, 'a=b&c'),
      request('POST', '/_access/getCustomer', form, `${body}&x=${'y'.repeat(5000)}`),
      request('POST', '/_access/getCustomer', { ...host, 'content-type': 'text/plain' }, body),
      // Another method, path or function; a repeated header the answer reads.
      request('PUT', `/_access/getCustomer?${auth}&type=json`, host),
      request('GET', `/_access/dropTables?${auth}&type=json`, host),
      request('GET', '/healthz', host),
      `GET /_access/getCustomer?${auth}&type=json HTTP/1.1\r\nhost: x\r\nidempotency-key: a\r\nidempotency-key: b\r\n\r\n`,
      // Not HTTP at all.
      'HELLO\r\n\r\n',
      `GET /_access/getCustomer?${auth}&type=json HTTP/1.1\r\nhost: x\r\n\r\n`.replace('GET', 'G\u0000T'),
    ];
    let refusedAtParse = 0;
    for (const text of unusual) {
      // node:http's answer to it alone: a refusal of its parser (clientError) carries no request id.
      // After an Upgrade node:http reads no further request on the connection: nothing follows it here.
      const after = /\r\nupgrade: /i.test(text) ? '' : read;
      const more = after === '' ? 0 : 1;
      const alone = await converse(node.url, [text + after], 1 + more);
      const parseError = alone.closed && !/\r\nx-request-id: /i.test(alone.text);
      if (parseError) refusedAtParse++;
      if (!parseError) {
        // As writes of their own: answered in order, the unusual one by node:http exactly as before.
        const apart = await same([read, text, after], 2 + more);
        expect(apart.answered, text).toBeGreaterThanOrEqual(1);
        expect(apart.handedOver, text).toBe(1);
        // In one write with the ordinary requests around it, and one byte at a time.
        const pipelined = await same([read + read + text + after], 3 + more);
        expect(pipelined.answered, text).toBeGreaterThanOrEqual(2);
        expect(pipelined.handedOver, text).toBe(1);
        if (text.length < 1000) await same([read, text, after], 2 + more, { byteAtATime: true });
        continue;
      }
      // node:http's own answer to bytes it cannot parse depends on how they were cut into packets and
      // how far it got writing: after ordinary requests in the same read it drops their answers (the
      // socket is destroyed with them queued) and reads the format from the read's first request line.
      // Here those answers come first, then the refusal node:http gives the request read on its own.
      const raw = rawFrontOf(fast.app)!;
      const single = await converse(fast.url, [read], 1);
      for (const parts of [[read + read + text + read], [read, read, text, read]]) {
        const handedOver = raw.handedOver;
        const got = await converse(fast.url, parts, 4);
        expect(raw.handedOver - handedOver, text).toBe(1);
        const answers = answersIn(Buffer.from(got.text, 'utf8')).answers.map((answer) => answer.toString('utf8'));
        expect(answers.length, text).toBeGreaterThanOrEqual(3);
        expect(comparable(answers[0]!), text).toBe(comparable(single.text));
        expect(comparable(answers[1]!), text).toBe(comparable(single.text));
        const refusal = got.text.slice(
          Buffer.concat([Buffer.from(answers[0]!), Buffer.from(answers[1]!)]).toString('utf8').length,
        );
        expect(comparable(refusal), text).toBe(comparable(alone.text));
        expect(got.closed, text).toBe(true);
      }
    }
    // Most of these are refused by node:http's parser; the rest are requests Fastify answers.
    expect(refusedAtParse).toBeGreaterThan(5);
    expect(refusedAtParse).toBeLessThan(unusual.length - 5);
  }, 120_000);

  it('hands a connection whose first request is unusual to node:http before answering anything', async () => {
    const answer = await same([`GET /_access/getCustomer?${auth}&type=json HTTP/1.0\r\n\r\n`], 1);
    expect(answer.answered).toBe(0);
    expect(answer.handedOver).toBe(1);
  });

  it('hands a request cut short by the end of the connection to node:http, which answers it as before', async () => {
    for (const cut of [
      `GET /_access/getCustomer?${auth}&type=json HTTP/1.1\r\nhost: x\r\n`,
      request('POST', '/_access/getCustomer', form, `${auth}&type=json`).slice(0, -3),
    ]) {
      for (const server of [fast, node]) {
        const { port } = new URL(server.url);
        const socket = connect(Number(port), '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.write(cut);
        socket.end();
        await new Promise((resolve) => socket.on('close', resolve));
        (server as TestServer & { cutAnswer?: string }).cutAnswer = Buffer.concat(chunks).toString('utf8');
      }
      const a = (fast as TestServer & { cutAnswer?: string }).cutAnswer!;
      const b = (node as TestServer & { cutAnswer?: string }).cutAnswer!;
      expect(comparable(a)).toBe(comparable(b));
      expect(a).toMatch(/^HTTP\/1\.1 400 /);
    }
  });
});

describe('the raw-socket front keeps node:http’s limits on a connection', () => {
  let server: TestServer;
  let auth: string;
  beforeAll(async () => {
    server = await startTestServer();
    auth = new URLSearchParams({ ...server.credentials, type: 'json' }).toString();
  });
  afterAll(async () => {
    await server.close();
  });

  function open(): Promise<Socket> {
    const { port } = new URL(server.url);
    return new Promise((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => resolve(socket));
    });
  }

  function received(socket: Socket): { text: () => string; closed: Promise<void> } {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    return { text: () => Buffer.concat(chunks).toString('utf8'), closed };
  }

  it('closes an idle connection after keepAliveTimeout', async () => {
    const httpServer = server.app.server;
    const before = httpServer.keepAliveTimeout;
    httpServer.keepAliveTimeout = 200;
    try {
      const socket = await open();
      const got = received(socket);
      socket.write(`GET /_access/getCustomer?${auth} HTTP/1.1\r\nhost: x\r\n\r\n`);
      await got.closed;
      expect(got.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\nKeep-Alive: timeout=0\r\n\r\n\{/);
    } finally {
      httpServer.keepAliveTimeout = before;
    }
  });

  it('answers a head that never ends with node:http’s timeout (408) and closes the connection', async () => {
    const httpServer = server.app.server;
    const before = httpServer.headersTimeout;
    httpServer.headersTimeout = 200;
    try {
      const socket = await open();
      const got = received(socket);
      socket.write(`GET /_access/getCustomer?${auth} HTTP/1.1\r\nhost: x\r\n`);
      await got.closed;
      expect(got.text()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(rawFrontOf(server.app)!.connections.size).toBe(0);
    } finally {
      httpServer.headersTimeout = before;
    }
  });

  it('stops reading from a client that does not read its answers', async () => {
    const raw = rawFrontOf(server.app)!;
    const socket = await open();
    socket.on('error', () => {});
    socket.pause();
    const one = `GET /_access/getCustomer?${auth} HTTP/1.1\r\nhost: x\r\n\r\n`;
    const batch = one.repeat(200);
    let sent = 0;
    // Writes until the server stops taking bytes (the client's own buffer then fills).
    for (let i = 0; i < 400 && socket.write(batch); i++) {
      sent += batch.length;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const connection = [...raw.connections].at(-1)!;
    for (let i = 0; i < 200 && !connection.socket.isPaused(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(connection.socket.isPaused()).toBe(true);
    expect(connection.socket.bytesRead).toBeLessThan(sent + batch.length);
    socket.destroy();
  });

  it('closes idle raw connections on closeIdleConnections, and every one on closeAllConnections', async () => {
    const httpServer = server.app.server;
    const idle = await open();
    const idleGot = received(idle);
    idle.write(`GET /_access/getCustomer?${auth} HTTP/1.1\r\nhost: x\r\n\r\n`);
    while (!idleGot.text().endsWith('}')) await new Promise((resolve) => setTimeout(resolve, 10));
    const busy = await open();
    const busyGot = received(busy);
    busy.write(`GET /_access/getCustomer?${auth} HTTP/1.1\r\nhost: x\r\n`);
    // Until the raw front has read the head's first bytes: a connection with nothing read yet is idle.
    const busyRead = () => [...rawFrontOf(server.app)!.connections].some((connection) => !connection.idle);
    while (!busyRead()) await new Promise((resolve) => setTimeout(resolve, 10));
    httpServer.closeIdleConnections();
    await idleGot.closed;
    expect(busy.destroyed).toBe(false);
    httpServer.closeAllConnections();
    await busyGot.closed;
    expect(busyGot.text()).toBe('');
  });
});

describe('the raw-socket front on a closing server', () => {
  it('finishes the answers in flight with Connection: close, then the server closes', async () => {
    const server = await startTestServer();
    const conference = await createConference(server);
    const auth = new URLSearchParams({ ...server.credentials, type: 'json' }).toString();
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    const body = `${auth}&conference=${conference}&role=PARTICIPANT&name=Late`;
    const head = `POST /_access/addPerson HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\n\r\n`;
    // The head now, the body once the server is closing: the request is under way, not idle.
    const begun = rawFrontOf(server.app)!.answered;
    socket.write(head);
    while (rawFrontOf(server.app)!.answered === begun) await new Promise((resolve) => setTimeout(resolve, 10));
    const closing = server.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write(body);
    await closing;
    await closed;
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('\r\nconnection: close\r\n');
    expect(text).not.toContain('Keep-Alive');
    expect(text).toMatch(/"code":0}$/);
  });
});
