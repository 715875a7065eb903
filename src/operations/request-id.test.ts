/**
 * Request ids and the request log line, through a real listening server: an
 * id from a trusted proxy is kept, a malformed one replaced, every answer
 * carries one, the one log line per request names it, and -4 messages quote it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { parseTrustProxy } from '../protocol/client-address.js';
import { isAcceptableRequestId, requestIdFromProxy, requestIdGenerator } from './request-id.js';

interface LogLine {
  level: number;
  reqId?: string;
  msg: string;
  [key: string]: unknown;
}

/** A server (behind a trusted proxy on loopback, unless told otherwise) whose log lines are collected in `lines`. */
async function serverWithLog(trustProxy = '127.0.0.1'): Promise<{ server: TestServer; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const logStream = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
  const trust = parseTrustProxy(trustProxy);
  if (typeof trust === 'string') throw new Error(trust);
  const server = await startTestServer({ logStream, config: { logLevel: 'info', trustProxy: trust } });
  return { server, lines };
}

const generated = /^[0-9a-f]{8}-[0-9a-z]+$/;

describe('request ids', () => {
  let server: TestServer;
  afterEach(() => server.close());

  it('keeps X-Request-Id: abc-123 from a trusted proxy (TRUST_PROXY=127.0.0.1), returns it and logs one line with it', async () => {
    const started = await serverWithLog();
    server = started.server;
    const { customer, key } = server.credentials;
    const response = await fetch(`${server.url}/_access/getCustomer?type=json&customer=${customer}&key=${key}`, {
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(response.headers.get('x-request-id')).toBe('abc-123');
    expect(((await response.json()) as { code: number }).code).toBe(0);

    const mine = started.lines.filter((l) => l.reqId === 'abc-123');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ msg: 'api call', fn: 'getCustomer', format: 'json', code: 0, status: 200 });
    expect(typeof mine[0]!.ms).toBe('number');
    // Not the raw URL: it carries the key.
    expect(JSON.stringify(started.lines)).not.toContain(key);
    expect(mine[0]).not.toHaveProperty('url');
  });

  it('ignores X-Request-Id from a peer that is not a trusted proxy (TRUST_PROXY unset)', async () => {
    const started = await serverWithLog('');
    server = started.server;
    const response = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(generated);
    expect(started.lines.filter((l) => l.reqId === 'abc-123')).toEqual([]);
    expect(started.lines.at(-1)).toMatchObject({ reqId: id, msg: 'request' });
  });

  it.each([
    ['spaces', 'abc 123'],
    ['a quote', 'abc"123'],
    ['too long', 'a'.repeat(129)],
    ['markup', 'abc<script>'],
  ])('replaces a malformed X-Request-Id (%s) with its own', async (_label, bad) => {
    const started = await serverWithLog();
    server = started.server;
    const response = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': bad } });
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(generated);
    expect(started.lines.at(-1)).toMatchObject({ reqId: id, msg: 'request', route: '/healthz', status: 200 });
  });

  it('gives every answer an id of its own, different each time, also a 404 and a page', async () => {
    server = await startTestServer();
    const ids = new Set<string>();
    for (const path of ['/healthz', '/no-such-page', '/_access/getCustomer', '/conference/register/NOPE']) {
      const response = await fetch(`${server.url}${path}`);
      const id = response.headers.get('x-request-id');
      expect(id, path).toMatch(generated);
      ids.add(id!);
    }
    expect(ids.size).toBe(4);
  });

  it('quotes the request id in a -4 message and logs the stack, which the client never sees', async () => {
    const started = await serverWithLog();
    server = started.server;
    // A store that is closed under the server: every query throws something unexpected.
    await server.services.store.close();
    const { customer, key } = server.credentials;
    const response = await fetch(`${server.url}/_access/getCustomer?type=json&customer=${customer}&key=${key}`, {
      headers: { 'x-request-id': 'abc-123' },
    });
    const text = await response.text();
    const envelope = JSON.parse(text) as { code: number; message: string };
    expect(envelope.code).toBe(-4);
    expect(envelope.message).toBe('unhandled exception; if it persists contact support quoting request abc-123');
    expect(text).not.toMatch(/\bat .*\.[jt]s:\d+/);

    const error = started.lines.find((l) => l.reqId === 'abc-123' && l.msg === 'unhandled exception');
    expect((error?.err as { stack?: string } | undefined)?.stack).toMatch(/\n\s+at /);
    expect(started.lines.filter((l) => l.reqId === 'abc-123' && l.msg === 'api call')).toEqual([
      expect.objectContaining({ fn: 'getCustomer', code: -4 }),
    ]);
  });
});

describe('request id rules', () => {
  it('accepts [A-Za-z0-9._:-] up to 128 characters and nothing else', () => {
    expect(isAcceptableRequestId('abc-123')).toBe(true);
    expect(isAcceptableRequestId('Root.1-5f84c7a1-abc.def:ghi')).toBe(true);
    expect(isAcceptableRequestId('a=b')).toBe(false);
    expect(isAcceptableRequestId('a'.repeat(128))).toBe(true);
    expect(isAcceptableRequestId('a'.repeat(129))).toBe(false);
    expect(isAcceptableRequestId('')).toBe(false);
    expect(isAcceptableRequestId('a\nb')).toBe(false);
    expect(isAcceptableRequestId('a/b')).toBe(false);
  });

  it('ignores the header from a peer that is not a trusted proxy', () => {
    const fromProxy = requestIdFromProxy(
      (address) => address === '10.0.0.1',
      () => 'own-1',
    );
    const message = (address: string) =>
      ({ headers: { 'x-request-id': 'abc-123' }, socket: { remoteAddress: address } }) as never;
    expect(fromProxy(message('10.0.0.1'))).toBe('abc-123');
    expect(fromProxy(message('203.0.113.9'))).toBe('own-1');
  });

  it('generates ids with one prefix per process and a counter', () => {
    const next = requestIdGenerator();
    const [a, b] = [next(), next()];
    expect(a).toMatch(generated);
    expect(a.split('-')[0]).toBe(b.split('-')[0]);
    expect(a).not.toBe(b);
    expect(requestIdGenerator()().split('-')[0]).not.toBe(a.split('-')[0]);
  });
});
