/**
 * The client's address, as far as it can be trusted (TRUST_PROXY).
 *
 * X-Forwarded-For is a list each proxy appends to: `client, proxy1, proxy2`,
 * and the socket's peer is the last proxy. Anyone can write the left-hand
 * entries, so the address is found from the right: starting at the socket
 * peer, each address that is a trusted proxy hands over to the entry before
 * it; the first untrusted one is the client. By default nothing is trusted
 * and the socket peer is the client, whatever the header says.
 */
import { BlockList, isIP } from 'node:net';

/** Which peers are proxies whose X-Forwarded-For entry is believed. */
export type TrustProxy =
  | { readonly kind: 'none' }
  /** The nearest `hops` peers are proxies (1: one load balancer in front). */
  | { readonly kind: 'hops'; readonly hops: number }
  /** Peers at these addresses or CIDR ranges are proxies. */
  | { readonly kind: 'addresses'; readonly entries: readonly string[]; readonly list: BlockList };

/** Trust nothing: the default. */
export const trustNothing: TrustProxy = { kind: 'none' };

/** `::ffff:10.0.0.1` is 10.0.0.1: Node reports IPv4 peers of a dual-stack socket that way. */
function normalize(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  return mapped ? mapped[1]! : trimmed;
}

/**
 * Parses TRUST_PROXY: empty, `false` or `0` trusts nothing; a whole number is
 * a hop count; otherwise a comma list of addresses and CIDR ranges.
 * Returns the problem as text when the value is not valid.
 */
export function parseTrustProxy(raw: string | undefined): TrustProxy | string {
  const text = (raw ?? '').trim();
  if (text === '' || text.toLowerCase() === 'false' || text === '0') return trustNothing;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    return hops > 0 && hops <= 100 ? { kind: 'hops', hops } : 'TRUST_PROXY hop count must be from 0 to 100';
  }
  if (text.toLowerCase() === 'true') {
    return 'TRUST_PROXY=true would trust any X-Forwarded-For a client writes: give a hop count or the proxy addresses';
  }
  const list = new BlockList();
  const entries: string[] = [];
  for (const part of text.split(',')) {
    const entry = part.trim();
    if (entry === '') continue;
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(normalize(address));
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (
      family === 0 ||
      extra !== undefined ||
      !Number.isInteger(bits) ||
      bits < 0 ||
      bits > (family === 6 ? 128 : 32) ||
      (prefix !== undefined && !/^\d+$/.test(prefix))
    ) {
      return `TRUST_PROXY must be a hop count or a comma list of IP addresses and CIDR ranges, got "${entry}"`;
    }
    list.addSubnet(normalize(address), bits, family === 6 ? 'ipv6' : 'ipv4');
    entries.push(entry);
  }
  if (entries.length === 0) return trustNothing;
  return { kind: 'addresses', entries, list };
}

/** True when the peer at `address`, `hop` steps from this server (0: the socket), is a trusted proxy. */
export function isTrustedPeer(trust: TrustProxy, address: string, hop = 0): boolean {
  switch (trust.kind) {
    case 'none':
      return false;
    case 'hops':
      return hop < trust.hops;
    case 'addresses': {
      const peer = normalize(address);
      const family = isIP(peer);
      return family !== 0 && trust.list.check(peer, family === 6 ? 'ipv6' : 'ipv4');
    }
  }
}

/**
 * The client's address: the socket peer unless it is a trusted proxy, then
 * walking X-Forwarded-For from the right while each address is trusted.
 */
export function clientAddress(
  trust: TrustProxy,
  socketAddress: string,
  forwardedFor: string | string[] | undefined,
): string {
  const peer = normalize(socketAddress);
  if (trust.kind === 'none' || forwardedFor === undefined) return peer;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const chain = header
    .split(',')
    .map((entry) => normalize(entry))
    .filter((entry) => entry !== '')
    .reverse();
  let current = peer;
  for (let hop = 0; hop < chain.length; hop++) {
    if (!isTrustedPeer(trust, current, hop)) return current;
    current = chain[hop]!;
  }
  return current;
}

/** The Fastify `trustProxy` option with the same rule, so `request.ip` is `clientAddress`. */
export function fastifyTrustProxy(trust: TrustProxy): false | ((address: string, hop: number) => boolean) {
  return trust.kind === 'none' ? false : (address, hop) => isTrustedPeer(trust, address, hop);
}
