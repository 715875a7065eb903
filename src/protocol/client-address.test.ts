import { addressThrottleKey } from '../domain/ip-address.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { loadConfig } from '../config.js';
import { clientAddress, isTrustedPeer, parseTrustProxy, trustNothing, type TrustProxy } from './client-address.js';

function trust(text: string): TrustProxy {
  const parsed = parseTrustProxy(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('parseTrustProxy', () => {
  it('trusts nothing by default, a hop count, or a list of addresses and CIDR ranges', () => {
    expect(parseTrustProxy(undefined)).toEqual(trustNothing);
    expect(parseTrustProxy('')).toEqual(trustNothing);
    expect(parseTrustProxy('false')).toEqual(trustNothing);
    expect(parseTrustProxy('0')).toEqual(trustNothing);
    expect(parseTrustProxy('2')).toEqual({ kind: 'hops', hops: 2 });
    const list = trust('10.0.0.0/8, 192.168.1.7 ,fd00::/8');
    expect(list.kind === 'addresses' && list.entries).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
  });

  it('refuses "true" (it would trust whatever a client writes) and anything unreadable', () => {
    for (const bad of ['true', '10.0.0.0/33', 'proxy.example.org', '10.0.0.1/8/1', '1.2.3', '500', '::1/129']) {
      expect(typeof parseTrustProxy(bad), bad).toBe('string');
    }
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toEqual({ kind: 'hops', hops: 1 });
    expect(loadConfig({}).trustProxy).toEqual(trustNothing);
  });
});

describe('clientAddress', () => {
  const forged = '203.0.113.8, 198.51.100.7';

  it('by default is the socket peer, whatever X-Forwarded-For says', () => {
    expect(clientAddress(trustNothing, '127.0.0.1', forged)).toBe('127.0.0.1');
    expect(clientAddress(trustNothing, '::ffff:10.1.2.3', forged)).toBe('10.1.2.3');
    expect(isTrustedPeer(trustNothing, '127.0.0.1')).toBe(false);
  });

  it('with a hop count takes the entry that many steps from the right', () => {
    expect(clientAddress(trust('1'), '10.0.0.5', forged)).toBe('198.51.100.7');
    expect(clientAddress(trust('2'), '10.0.0.5', forged)).toBe('203.0.113.8');
    // Fewer entries than hops: the leftmost there is.
    expect(clientAddress(trust('3'), '10.0.0.5', '198.51.100.7')).toBe('198.51.100.7');
    expect(clientAddress(trust('1'), '10.0.0.5', undefined)).toBe('10.0.0.5');
    expect(clientAddress(trust('1'), '10.0.0.5', ['203.0.113.8', '198.51.100.7'])).toBe('198.51.100.7');
  });

  it('with addresses walks left only while each address is a listed proxy', () => {
    const proxies = trust('10.0.0.0/8, ::1');
    expect(clientAddress(proxies, '10.0.0.5', forged)).toBe('198.51.100.7');
    expect(clientAddress(proxies, '10.0.0.5', '203.0.113.8, 10.9.9.9')).toBe('203.0.113.8');
    // A peer that is not a listed proxy is the client: its header is not read.
    expect(clientAddress(proxies, '192.0.2.1', forged)).toBe('192.0.2.1');
    expect(clientAddress(proxies, '::1', '198.51.100.7')).toBe('198.51.100.7');
    expect(clientAddress(proxies, '::ffff:10.0.0.5', '198.51.100.7')).toBe('198.51.100.7');
    expect(isTrustedPeer(proxies, 'not an address')).toBe(false);
  });
});

describe('the key-failure throttle counts the address a client cannot forge', () => {
  let server: TestServer;
  afterEach(() => server.close());
  const limit = 3;

  async function attempt(forwardedFor: string, key: string) {
    const body = new URLSearchParams({ customer: server.credentials.customer, key, type: 'json' });
    const response = await fetch(`${server.url}/_access/getCustomer`, {
      method: 'POST',
      headers: { 'x-forwarded-for': forwardedFor },
      body,
    });
    return { retryAfter: response.headers.get('retry-after'), ...((await response.json()) as { code: number }) };
  }

  it('by default a forged X-Forwarded-For changes nothing: the socket address is throttled', async () => {
    server = await startTestServer({ config: { authFailureLimit: limit } });
    for (let i = 0; i < limit; i++) expect((await attempt(`203.0.113.${i}`, 'wrong')).code).toBe(-5);
    // A new forged address each time, and now the right key: still refused.
    const refused = await attempt('203.0.113.200', server.credentials.key);
    expect(refused.code).toBe(-5);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await attempt('198.51.100.1, 203.0.113.201', server.credentials.key)).code).toBe(-5);
  });

  it('with TRUST_PROXY=1 the address the proxy appended is the one throttled', async () => {
    server = await startTestServer({ config: { authFailureLimit: limit, trustProxy: trust('1') } });
    // The client writes the left entries; the proxy appends what it saw (198.51.100.7).
    for (let i = 0; i < limit; i++) expect((await attempt(`203.0.113.${i}, 198.51.100.7`, 'wrong')).code).toBe(-5);
    expect((await attempt('203.0.113.99, 198.51.100.7', server.credentials.key)).code).toBe(-5);
    // Another client behind the same proxy is not affected.
    expect((await attempt('203.0.113.99, 198.51.100.8', server.credentials.key)).code).toBe(0);
  });

  it('counts an IPv6 client by its /64, so taking a new address inside it does not reset the count', async () => {
    server = await startTestServer({ config: { authFailureLimit: limit, trustProxy: trust('1') } });
    for (let i = 1; i <= limit; i++) expect((await attempt(`2001:db8:1:2::${i}`, 'wrong')).code).toBe(-5);
    const refused = await attempt('2001:db8:1:2:ffff:ffff:ffff:ffff', server.credentials.key);
    expect(refused.code).toBe(-5);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await attempt('2001:0db8:0001:0002:0:0:0:abcd', server.credentials.key)).code).toBe(-5);
    // The next /64, and an IPv4 client, are other clients.
    expect((await attempt('2001:db8:1:3::1', server.credentials.key)).code).toBe(0);
    expect((await attempt('198.51.100.9', server.credentials.key)).code).toBe(0);
  });
});

describe('addressThrottleKey', () => {
  it('keeps IPv4 and IPv4-mapped addresses whole and reduces IPv6 to its /64', () => {
    expect(addressThrottleKey('198.51.100.7')).toBe('198.51.100.7');
    expect(addressThrottleKey('::ffff:198.51.100.7')).toBe('::ffff:198.51.100.7');
    expect(addressThrottleKey('2001:db8:1:2::5')).toBe('2001:db8:1:2::/64');
    expect(addressThrottleKey('2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressThrottleKey('::1')).toBe('0:0:0:0::/64');
    expect(addressThrottleKey('not an address')).toBe('not an address');
  });
});
