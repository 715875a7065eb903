/**
 * A bounded, seeded fuzz of every route: a few thousand hostile requests
 * (methods, paths, content types, bodies, encodings) against a real server.
 * Nothing a client sends may give a 5xx or code -4, and every answer under
 * /_access must be an envelope. The seed is in the failure message, so a
 * failure can be replayed (FUZZ_SEED=…).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBridgeToken } from '../../test/bridge.js';
import { createConference, parseXml, startTestServer, type TestServer } from '../../test/harness.js';
import { apiFunctions } from '../functions/index.js';
import { generator } from '../../test/fuzz.js';

const seed = Number(process.env.FUZZ_SEED ?? 20261201);
const requests = 3000;

const values = [
  '',
  'x',
  '0',
  '-1',
  '1e309',
  'NaN',
  '%00',
  '%zz',
  '%',
  '%C0%AF',
  '%ED%A0%80',
  'a%00b',
  '<x/>',
  '"',
  '\\',
  '🎉',
  'x'.repeat(3000),
  '2026.02.30 25:61:61',
  'PARTICIPANT',
  'json',
  'xml',
  'JSON',
  'yaml',
];
const names = ['customer', 'key', 'type', 'conference', 'person', 'name', 'email', 'role', 'pin', 'ani', 'did', 'csrf'];
const methods = ['GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const contentTypes = [
  'application/x-www-form-urlencoded',
  'application/json',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'multipart/form-data; boundary=XyZ',
  'text/plain',
  'text/xml',
  'application/octet-stream',
  'application/json; charset=nope',
  'garbage',
  '',
];

describe('fuzz: every route, seeded', () => {
  let server: TestServer;
  let paths: string[];
  beforeAll(async () => {
    server = await startTestServer({ config: { bridgeToken: testBridgeToken } });
    const conference = await createConference(server);
    const fns = apiFunctions.map((fn) => fn.name);
    paths = [
      ...fns.map((fn) => `/_access/${fn}`),
      ...fns.map((fn) => `/_access/${fn.toUpperCase()}`),
      '/_access',
      '/_access/',
      '/_access/getCustomer/',
      '/_access/getCustomer/extra',
      '/_access/%zz',
      '/_access/%00',
      `/_access/${'a'.repeat(150)}`,
      `/conference/register/${conference}`,
      `/conference/register/${conference}/confirmation`,
      '/conference/register/NOSUCHCONFERENCE',
      '/conference/register/%00',
      '/conference/register/%zz',
      '/bridge/v1/admit',
      '/bridge/v1/callers/ABCDEF0123456789/leave',
      '/bridge/v1/callers/ABCDEF0123456789/update',
      '/bridge/v1/calls/ABCDEF0123456789/end',
      '/bridge/v1/freeswitch/dialplan',
      '/bridge/v1/freeswitch/cdr',
      '/bridge/v1/nothing',
      '/openapi.json',
      '/docs',
      '/healthz',
      '/readyz',
      '/',
      '/%zz',
      '/favicon.ico',
    ];
  });
  afterAll(() => server.close());

  it(`${requests} requests answer without a 5xx or -4; /_access always an envelope (seed ${seed})`, async () => {
    const random = generator(seed);
    const { customer, key } = server.credentials;
    const params = () => {
      const fields: [string, string][] = [];
      const count = Math.floor(random.next() * 6);
      if (random.next() < 0.6) fields.push(['customer', customer], ['key', key]);
      for (let i = 0; i < count; i++) fields.push([random.pick(names), random.pick(values)]);
      return fields;
    };
    // Raw percent-encoded text, so broken encodings reach the server as sent.
    const encode = (fields: [string, string][]) =>
      fields.map(([n, v]) => `${n}=${/%/.test(v) ? v : encodeURIComponent(v)}`).join('&');

    const one = async (n: number) => {
      const method = random.pick(methods);
      const path = random.pick(paths);
      const query = random.next() < 0.7 ? `?${encode(params())}` : '';
      const contentType = random.pick(contentTypes);
      const fields = params();
      const bodyKind = random.next();
      const body =
        method === 'GET' || method === 'HEAD'
          ? undefined
          : bodyKind < 0.3
            ? encode(fields)
            : bodyKind < 0.5
              ? JSON.stringify(Object.fromEntries(fields.map(([k, v]) => [k, random.next() < 0.3 ? { v } : v])))
              : bodyKind < 0.6
                ? `--XyZ\r\nContent-Disposition: form-data; name="type"\r\n\r\njson\r\n--XyZ--\r\n`
                : bodyKind < 0.7
                  ? '{"broken": '
                  : bodyKind < 0.8
                    ? 'a\u0000b=c\u0000'
                    : '';
      const headers: Record<string, string> = {};
      if (contentType !== '' && body !== undefined) headers['content-type'] = contentType;
      if (path.startsWith('/bridge') && random.next() < 0.8) headers.authorization = `Bearer ${testBridgeToken}`;
      if (random.next() < 0.1) headers['x-forwarded-for'] = '203.0.113.8, 10.0.0.1';
      const response = await fetch(`${server.url}${path}${query}`, { method, headers, body, redirect: 'manual' });
      const text = await response.text();
      const what = `#${n} ${method} ${path.slice(0, 80)}${query.slice(0, 200)} [${contentType}] ${String(body).slice(0, 120)}`;
      expect(response.status, `${what} → ${text.slice(0, 300)}`).toBeLessThan(500);
      if (!path.toLowerCase().startsWith('/_access') || method === 'HEAD') return;
      const type = response.headers.get('content-type') ?? '';
      let code: unknown;
      if (type.startsWith('application/json')) code = (JSON.parse(text) as { code: unknown }).code;
      else if (type.startsWith('text/xml')) code = Number(parseXml(text).document.code);
      expect(typeof code, `${what}: not an envelope: ${type} ${text.slice(0, 200)}`).toBe('number');
      expect(code, `${what} → ${text.slice(0, 300)}`).not.toBe(-4);
    };

    for (let n = 0; n < requests; n += 25) {
      await Promise.all(Array.from({ length: Math.min(25, requests - n) }, (_, i) => one(n + i)));
    }
  }, 120_000);
});
