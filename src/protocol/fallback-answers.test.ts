/**
 * The hostile requests found by fuzzing a running server: each is answered as
 * a Baton envelope under /_access (-2, in the `type` asked for, else XML), a
 * clear 4xx page on the registration page, a 4xx JSON error on the bridge —
 * never a 5xx. Runs on PostgreSQL too, where a NUL reaching a query fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeClient, testBridgeToken } from '../../test/bridge.js';
import { createConference, parseXml, startTestServer, type TestServer } from '../../test/harness.js';

let server: TestServer;
let conference: string;
beforeAll(async () => {
  server = await startTestServer({ config: { bridgeToken: testBridgeToken } });
  conference = await createConference(server);
});
afterAll(() => server.close());

async function raw(path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, init);
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

function expectJsonEnvelope(answer: { status: number; type: string; text: string }, code = -2) {
  expect(answer.status, answer.text).toBeLessThan(500);
  expect(answer.type).toContain('application/json');
  const envelope = JSON.parse(answer.text) as { code: number; message: string; value: unknown };
  expect(envelope.code).toBe(code);
  expect(envelope.value).toBeNull();
  expect(typeof envelope.message).toBe('string');
  return envelope;
}

function expectXmlEnvelope(answer: { status: number; type: string; text: string }) {
  expect(answer.status, answer.text).toBeLessThan(500);
  expect(answer.type).toContain('xml');
  expect(parseXml(answer.text).document.code).toBe('-2');
}

describe('multipart without a boundary is a parameter error', () => {
  for (const contentType of ['multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; x=1']) {
    it(`${contentType} on /_access, the bridge and the registration page`, async () => {
      const init = { method: 'POST', headers: { 'content-type': contentType }, body: 'customer=x' };
      const access = await raw('/_access/getCustomer?type=json', init);
      expect(access.status).toBe(400);
      expect(expectJsonEnvelope(access).message).toContain('boundary');
      expectXmlEnvelope(await raw('/_access/getCustomer', init));
      const bridge = await raw('/bridge/v1/nothing-here', {
        ...init,
        headers: { ...init.headers, authorization: `Bearer ${testBridgeToken}` },
      });
      expect(bridge.status).toBe(400);
      expect(JSON.parse(bridge.text)).toHaveProperty('error');
      const page = await raw(`/conference/register/${conference}`, init);
      expect(page.status).toBe(400);
      expect(page.type).toContain('text/html');
    });
  }
});

describe('the registration page given a JSON body with values that are not text', () => {
  // No CSRF token: the form again, 403; a value that is an object: the request not understood, 400 — never a 500.
  for (const [body, status] of [
    [{ name: 1, email: 'a@example.org' }, 403],
    [{ notes: { a: 1 } }, 400],
    [{ name: 'A', email: 'a@example.org', confirmation: 1 }, 403],
    [{ name: ['A', 'B'], email: [1] }, 403],
    [[1, 2, 3], 403],
  ] as const) {
    it(JSON.stringify(body), async () => {
      const answer = await raw(`/conference/register/${conference}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(answer.status).toBe(status);
      expect(answer.type).toContain('text/html');
    });
  }

  it('a query with repeated names registers with the last value', async () => {
    const answer = await fetch(
      `${server.url}/conference/register/${conference}?name=A&name=Repeated&email=r@example.org&email=rep@example.org`,
      { redirect: 'manual' },
    );
    expect(answer.status).toBe(303);
  });
});

describe('a NUL character anywhere outside /_access is refused with a clear 4xx', () => {
  it('in the registration path, query and body', async () => {
    for (const path of [
      '/conference/register/%00',
      `/conference/register/${conference}?name=a%00b&email=a@example.org`,
      `/conference/register/${conference}/confirmation?person=%00&token=x`,
    ]) {
      const answer = await raw(path);
      expect(answer.status, path).toBe(400);
      expect(answer.type).toContain('text/html');
    }
    const posted = await raw(`/conference/register/${conference}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=a%00b&email=a@example.org',
    });
    expect(posted.status).toBe(400);
  });

  it('in bridge JSON', async () => {
    const bridge = bridgeClient(server);
    const answer = await bridge.post('/admit', { did: '+1 555 0100', pin: '123456', ani: 'a\u0000b' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain('NUL');
    const update = await bridge.post('/callers/A%00B/leave');
    expect(update.status).toBe(400);
  });

  it('in /_access parameters, as before: -2 in the format asked for', async () => {
    expectJsonEnvelope(await raw(`/_access/getCustomer?type=json&customer=a%00b&key=x`));
  });
});

describe('every answer under /_access is an envelope', () => {
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    it(`${method} /_access/getCustomer: 405, Allow, an envelope in the type asked for`, async () => {
      const json = await fetch(`${server.url}/_access/getCustomer?type=json`, { method });
      expect(json.status).toBe(405);
      expect(json.headers.get('allow')).toBe('GET, POST');
      expectJsonEnvelope({ status: 200, type: json.headers.get('content-type')!, text: await json.text() });
      const xml = await raw('/_access/getCustomer', { method });
      expect(xml.status).toBe(405);
      expect(xml.type).toContain('xml');
    });
  }

  const routed = ['/_access', '/_access/', '/_access/getCustomer/', '/_access/getCustomer/extra', '/_ACCESS/x/y'];
  // The router refuses these before the body is read: `type` comes from the query only.
  const unroutable = ['/_access/%zz', '/_access/%', `/_access/${'a'.repeat(101)}`, `/_access/${'a'.repeat(5000)}`];
  for (const path of [...routed, ...unroutable]) {
    it(`${path.slice(0, 60)}: -2 as JSON with type=json, else XML`, async () => {
      expectJsonEnvelope(await raw(`${path}?type=json`));
      const posted = await raw(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'type=json',
      });
      if (routed.includes(path)) expectJsonEnvelope(posted);
      else expectXmlEnvelope(posted);
      expectXmlEnvelope(await raw(path));
      expectXmlEnvelope(await raw(`${path}?type=nonsense`));
    });
  }

  it('a 404 elsewhere does not echo the query string', async () => {
    const answer = await raw('/no/such/page?key=abcdef0123456789');
    expect(answer.status).toBe(404);
    expect(answer.text).not.toContain('abcdef0123456789');
  });
});

describe('requests the HTTP parser of Node refuses: 400 or 431, an envelope under /_access (documented in docs/protocol.md)', () => {
  /** Sends `text` and reads until the server closes; `halfClose` ends the sending side at once. */
  async function rawRequest(text: string, halfClose = true): Promise<string> {
    const { connect } = await import('node:net');
    const { port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => (halfClose ? socket.end(text) : socket.write(text)));
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });
  }
  const bodyOf = (answer: string) => answer.slice(answer.indexOf('\r\n\r\n') + 4);

  for (const line of [
    'GET /_access/get Customer HTTP/1.1',
    'G@T /_access/getCustomer HTTP/1.1',
    'GET /_access/getCustomer HTTP/9.9',
  ]) {
    it(line, async () => {
      const answer = await rawRequest(`${line}\r\nHost: x\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toMatch(/\r\nConnection: close\r\n/i);
      const xml = parseXml(bodyOf(answer)) as { document: { code: number; message: string } };
      expect(xml.document.code).toBe('-2');
      expect(xml.document.message).toMatch(/^malformed request/);
    });
  }

  it('a bad header byte under /_access: 400 and a JSON envelope when the query asks for JSON', async () => {
    const answer = await rawRequest('GET /_access/getCustomer?type=json HTTP/1.1\r\nHost: x\r\nBad: \u0001\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('Content-Type: application/json; charset=utf-8');
    expect(JSON.parse(bodyOf(answer))).toEqual({
      message: 'malformed request: Node could not parse the request line or a header',
      value: null,
      code: -2,
    });
  });

  it('headers or a URL over 16 KiB: 431 and an envelope under /_access, never a 5xx', async () => {
    const header = await rawRequest(
      `GET /_access/getCustomer?type=json HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(header).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(bodyOf(header))).toEqual({
      message: 'malformed request: the request line and headers are over 16 KiB; send the parameters in a POST body',
      value: null,
      code: -2,
    });
    // A query over the limit, in XML unless it asks for JSON.
    const url = await rawRequest(`GET /_access/addPerson?notes=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(url).toMatch(/^HTTP\/1\.1 431 /);
    expect(url).toContain('Content-Type: text/xml; charset=utf-8');
    expect(bodyOf(url)).toContain('<code>-2</code>');
  });

  it('an expectation other than 100-continue is ignored: the request is answered as usual, not with a bare 417', async () => {
    const { customer, key } = server.credentials;
    const body = `customer=${customer}&key=${key}&type=json`;
    const answer = await rawRequest(
      `POST /_access/getCustomer HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nConnection: close\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      // Node drops a request whose client half-closed before an answer that takes a turn (PostgreSQL).
      false,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(bodyOf(answer))).toMatchObject({ code: 0, value: { UID: customer } });
  });

  it('Expect: 100-continue with a Content-Length over the body limit: the 413 envelope at once, no 100 Continue', async () => {
    const big = await rawRequest(
      `POST /_access/addPerson?type=json HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000\r\n\r\n`,
      false,
    );
    expect(big).toMatch(/^HTTP\/1\.1 413 /);
    expect(JSON.parse(bodyOf(big))).toMatchObject({ code: -2, value: null });
    // Within the limit the client is still invited, and the request answered.
    const { customer, key } = server.credentials;
    const body = `customer=${customer}&key=${key}&type=json`;
    const small = await rawRequest(
      `POST /_access/getCustomer HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      false,
    );
    expect(small).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(JSON.parse(bodyOf(small.slice(small.indexOf('HTTP/1.1 200'))))).toMatchObject({ code: 0 });
  });

  it('an HTTP/1.1 request without Host: 400 and an envelope under /_access (Node answered an empty 400)', async () => {
    const json = await rawRequest('GET /_access/getCustomer?type=json HTTP/1.1\r\n\r\n');
    expect(json).toMatch(/^HTTP\/1\.1 400 /);
    expect(json).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(bodyOf(json))).toEqual({
      message: 'malformed request: an HTTP/1.1 request needs a Host header',
      value: null,
      code: -2,
    });
    const { customer, key } = server.credentials;
    const form = `customer=${customer}&key=${key}&conference=X&role=PARTICIPANT`;
    const xml = await rawRequest(
      `POST /_access/addPerson HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Content-Length: ${form.length}\r\n\r\n${form}`,
    );
    expect(xml).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(xml)).toContain('<code>-2</code>');
    const other = await rawRequest('GET /healthz HTTP/1.1\r\n\r\n');
    expect(other).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(bodyOf(other))).toEqual({ error: 'Bad Request', message: 'Client Error', statusCode: 400 });
    // HTTP/1.0 has no Host header to require: answered as usual (and the connection closed after it).
    const old = await rawRequest(
      `GET /_access/getCustomer?type=json&customer=${customer}&key=${key} HTTP/1.0\r\n\r\n`,
      // Node drops a request whose client half-closed before an answer that takes a turn (PostgreSQL).
      false,
    );
    expect(old).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(bodyOf(old))).toMatchObject({ code: 0, value: { UID: customer } });
  });

  it('CONNECT: 405 with Allow and an envelope under /_access, not a connection closed unanswered', async () => {
    const json = await rawRequest('CONNECT /_access/getCustomer?type=json HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(json).toMatch(/^HTTP\/1\.1 405 /);
    expect(json).toMatch(/\r\nAllow: GET, POST\r\n/);
    expect(JSON.parse(bodyOf(json))).toEqual({
      message: 'CONNECT is not supported: use GET or POST',
      value: null,
      code: -2,
    });
    const xml = await rawRequest('CONNECT /_access/addPerson HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(xml).toMatch(/^HTTP\/1\.1 405 /);
    expect(bodyOf(xml)).toContain('<code>-2</code>');
    const proxy = await rawRequest('CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n');
    expect(proxy).toMatch(/^HTTP\/1\.1 405 /);
    expect(JSON.parse(bodyOf(proxy))).toMatchObject({ statusCode: 405 });
  });

  it('a body cut short (the client ends its side before the Content-Length or the last chunk): 400 and an envelope', async () => {
    const { customer, key } = server.credentials;
    const form = `customer=${customer}&key=${key}`;
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', form],
      ['application/json', `{"customer":"${customer}"`],
      ['text/plain', form],
    ] as const) {
      const answer = await rawRequest(
        `POST /_access/getCustomer?type=json HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n` +
          `Content-Length: ${body.length + 40}\r\n\r\n${body}`,
      );
      expect(answer, type).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(bodyOf(answer))).toEqual({
        message: 'malformed request: the connection ended before the whole body its headers announce was sent',
        value: null,
        code: -2,
      });
    }
    const chunked = await rawRequest(
      `POST /_access/addPerson HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Transfer-Encoding: chunked\r\n\r\n${form.length.toString(16)}\r\n${form}\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(chunked)).toContain('<code>-2</code>');
  });

  it('elsewhere: the small JSON error of Fastify', async () => {
    const bad = await rawRequest('GET /hea lthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    expect(bad).toContain('"message":"Client Error"');
    const big = await rawRequest(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    expect(big).toContain('"message":"Exceeded maximum allowed HTTP header size"');
  });
});
