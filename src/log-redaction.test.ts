import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBridgeToken } from '../test/bridge.js';
import { createConference, startTestServer, type TestServer } from '../test/harness.js';
import { redactText } from './log-redaction.js';

describe('redactText', () => {
  it('masks secret values in URLs, cookies, JSON and authorization headers', () => {
    expect(redactText('/_access/getCustomer?customer=ABC&key=0123abcd&type=json')).toBe(
      '/_access/getCustomer?customer=ABC&key=[redacted]&type=json',
    );
    expect(redactText('GET:/x?KEY=s3cret not found')).toBe('GET:/x?KEY=[redacted] not found');
    expect(redactText('baton_csrf=nonce123; other=1')).toBe('baton_csrf=[redacted]; other=1');
    expect(redactText('?person=P&token=abc.def')).toBe('?person=P&token=[redacted]');
    expect(redactText('{"key":"s3cret","name":"x"}')).toBe('{"key":"[redacted]","name":"x"}');
    expect(redactText('Authorization: Bearer abc.def-ghi')).toBe('Authorization: Bearer [redacted]');
    expect(redactText('password=hunter2&securityToken=tok')).toBe('password=[redacted]&securityToken=[redacted]');
    // A webhook signing secret, as a JSON member or anywhere in a message.
    expect(redactText('{"secret":"whsec_AbC+/9="}')).toBe('{"secret":"[redacted]"}');
    expect(redactText('signing with whsec_AbC+/9= failed')).toBe('signing with whsec_[redacted] failed');
    // The site's session, device and form cookies, as a Cookie header quotes them.
    expect(redactText('cookie: baton_admin=s3ss10n; baton_admin_device=1.d3v1c3; baton_admin_form=f0rm')).toBe(
      'cookie: baton_admin=[redacted]; baton_admin_device=[redacted]; baton_admin_form=[redacted]',
    );
    // A password in a URL's user information (SMTP_URL, DATABASE_URL), wherever a message quotes one.
    expect(redactText('connect smtp://ann:hunter2@mail.example.org:587 failed')).toBe(
      'connect smtp://ann:[redacted]@mail.example.org:587 failed',
    );
    expect(redactText('postgres://baton:p%40ss:word@db.internal/baton')).toBe(
      'postgres://baton:[redacted]@db.internal/baton',
    );
    // An address is not a password.
    expect(redactText('sent to ann@example.org')).toBe('sent to ann@example.org');
    // Names that merely end in a secret word are left alone.
    expect(redactText('?monkey=1&keys=2')).toBe('?monkey=1&keys=2');
  });
});

describe('redactText on hostile text', () => {
  // A client controls much of what a line quotes (a URL of up to 16 kB, a body's values). Text made
  // of what one pattern starts with must be scanned once, not once from every character: with the
  // URL pattern tried at every word boundary, these took minutes (quadratic), so this test ran into
  // its timeout; scanned once, they take milliseconds.
  it('masks 400,000 characters of dots, hyphens and scheme-like runs without rescanning them', () => {
    const n = 400_000;
    const hostile = ['a.'.repeat(n / 2) + '@', 'a-'.repeat(n / 2) + '=@', 'ab+'.repeat(n / 3) + '://x@'];
    for (const text of hostile) expect(redactText(text)).toBe(text);
    expect(redactText(`${'a.'.repeat(n / 2)} smtp://ann:hunter2@mail.example.org`)).toMatch(
      /smtp:\/\/ann:\[redacted\]@mail\.example\.org$/,
    );
  }, 30_000);
});

describe('no secret reaches a log line, at trace level', () => {
  const lines: string[] = [];
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    server = await startTestServer({
      config: { logLevel: 'trace', bridgeToken: testBridgeToken },
      logStream: { write: (line: string) => void lines.push(line) },
    });
    conference = await createConference(server);
  });
  afterAll(() => server.close());

  it('keeps the key, bearer token, cookies and CSRF token out of every line', async () => {
    const { customer, key } = server.credentials;
    const query = `customer=${customer}&key=${key}&type=json`;
    // A GET with the key in the query, a 404 with it, a malformed body with it, a wrong method with it.
    expect((await fetch(`${server.url}/_access/getCustomer?${query}`)).status).toBe(200);
    expect((await fetch(`${server.url}/nowhere?${query}`)).status).toBe(404);
    const notFound = await fetch(`${server.url}/nowhere?${query}`);
    expect(await notFound.text()).not.toContain(key);
    await fetch(`${server.url}/_access/getCustomer?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken": ',
    });
    await fetch(`${server.url}/_access/getCustomer?${query}`, { method: 'DELETE' });
    await fetch(`${server.url}/_access/%zz?${query}`);
    // The bridge's bearer token.
    await fetch(`${server.url}/bridge/v1/admit?key=${key}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testBridgeToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    // The registration page's cookie and CSRF token, and a confirmation link's token.
    const page = await fetch(`${server.url}/conference/register/${conference}`);
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const posted = await fetch(`${server.url}/conference/register/${conference}?csrf=${csrf}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ name: 'Ann', email: 'ann@example.org', csrf }),
    });
    expect(posted.status).toBe(303);
    const confirmation = posted.headers.get('location')!;
    const token = new URL(confirmation, server.url).searchParams.get('token')!;
    expect((await fetch(new URL(confirmation, server.url))).status).toBe(200);

    // Requests Node's HTTP parser refuses (a bad header byte, headers over the limit): its error carries
    // the raw bytes received, the query's key, the bearer token and the cookie among them.
    const head =
      `GET /_access/getCustomer?${query} HTTP/1.1\r\nHost: x\r\n` +
      `Authorization: Bearer ${testBridgeToken}\r\nCookie: ${cookie}\r\n`;
    for (const tail of ['Bad Header: \u0001\r\n\r\n', `X-Long: ${'x'.repeat(20_000)}\r\n\r\n`]) {
      const answer = await rawExchange(server.url, head + tail);
      expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    }

    const log = lines.join('');
    // The lines are there (a test that logs nothing would pass for the wrong reason)...
    // (one arrival line at debug and one answer line per request; the raw URL is in neither).
    expect(log).toContain('"msg":"request received"');
    expect(log).toContain('"fn":"getCustomer","format":"json","code":0');
    expect(log).toContain('"route":"/conference/register/:uid"');
    expect(log).not.toContain('/_access/getCustomer?customer=');
    // ...and no secret is in any of them.
    expect(log.includes('"code":"HPE_INVALID_HEADER_TOKEN"'), 'the bad header is logged').toBe(true);
    expect(log.includes('"code":"HPE_HEADER_OVERFLOW"'), 'the long header is logged').toBe(true);
    // Bytes are logged as {"type":"Buffer","data":[…]}: read them as text too.
    const decoded = lines.map((line) => JSON.stringify(JSON.parse(line), bufferAsText)).join('\n');
    for (const secret of [key, testBridgeToken, cookie.split('=')[1]!, csrf, token]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(log.includes(secret), secret).toBe(false);
      expect(decoded.includes(secret), `${secret} in the bytes of a line`).toBe(false);
    }
  });
});

/** A JSON.stringify replacer that turns a serialized Buffer back into its text. */
function bufferAsText(_name: string, value: unknown): unknown {
  const buffer = value as { type?: unknown; data?: unknown } | null;
  if (buffer && buffer.type === 'Buffer' && Array.isArray(buffer.data)) {
    return Buffer.from(buffer.data as number[]).toString('latin1');
  }
  return value;
}

/** Sends `request` as raw bytes and returns the start of the answer (the connection is closed after it). */
function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}
