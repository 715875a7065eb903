/**
 * Which webhook addresses Baton may call. A customer must not be able to make
 * Baton probe the operator's network, so an address in a private, loopback,
 * link-local, shared, multicast or reserved range is refused — unless the
 * operator sets WEBHOOK_ALLOW_PRIVATE=true (tests, or an installation whose
 * customers are trusted). A hostname is resolved and every address it has is
 * checked; the delivery connects to the address that was checked, so a name
 * that changes its answer between check and connect gains nothing.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ParameterError } from '../errors.js';
import { ipv6Groups } from './ip-address.js';

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  // The deprecated 6to4 relay anycast (RFC 7526): no endpoint lives there.
  ['192.88.99.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  // IPv4-compatible addresses (::a.b.c.d, deprecated by RFC 4291): never a real peer.
  ['::', 96],
  ['64:ff9b::', 96],
  // Local-use NAT64 (RFC 8215): translates to the operator's own IPv4 network.
  ['64:ff9b:1::', 48],
  ['100::', 64],
  // IETF protocol assignments (RFC 2928): Teredo (2001::/32, which carries an IPv4 address),
  // benchmarking, ORCHID; none is a web server's address.
  ['2001::', 23],
  ['2001:db8::', 32],
  // Documentation (RFC 9637) and SRv6 segment identifiers (RFC 9602).
  ['3fff::', 20],
  ['5f00::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address carried in two 16-bit groups, dotted. */
function ipv4FromGroups(high: number, low: number): string {
  return [high >>> 8, high & 255, low >>> 8, low & 255].join('.');
}

/** True for an address in a range a customer's webhook may not reach. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1 or ::ffff:a00:1) is the IPv4 address.
  const mapped = /^::ffff:(?:0:)?(.+)$/i.exec(address);
  if (mapped) {
    const rest = mapped[1]!;
    if (isIP(rest) === 4) return blocked.check(rest, 'ipv4');
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(rest);
    if (hex) {
      return blocked.check(ipv4FromGroups(parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)), 'ipv4');
    }
  }
  // 6to4 (2002:WWXX:YYZZ::/48) carries an IPv4 address: private if that one is (or if the form is unusual).
  if (/^2002:/i.test(address)) {
    const groups = ipv6Groups(address);
    if (!groups || blocked.check(ipv4FromGroups(groups[1]!, groups[2]!), 'ipv4')) return true;
  }
  return blocked.check(address, 'ipv6');
}

/** The longest webhook URL accepted. */
export const webhookUrlMax = 2000;

/** Parses a webhook URL: http(s), a host, no credentials; or a -2 that says why. */
export function parseWebhookUrl(text: string): URL {
  const trimmed = text.trim();
  if (trimmed.length > webhookUrlMax) throw new ParameterError(`url must be at most ${webhookUrlMax} characters`);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ParameterError(`url must be an http:// or https:// URL, got "${trimmed.slice(0, 100)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ParameterError('url must start http:// or https://');
  }
  if (url.username || url.password) throw new ParameterError('url must not carry a user name or password');
  if (!url.hostname) throw new ParameterError('url has no host');
  return url;
}

/** A resolved address a delivery may connect to. */
export interface CheckedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves the URL's host and checks every address; returns them, or throws
 * a ParameterError naming the reason (unresolvable, or private and not allowed).
 */
export async function resolveWebhookHost(url: URL, allowPrivate: boolean): Promise<CheckedAddress[]> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: CheckedAddress[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) as 4 | 6 }];
  } else {
    try {
      const found = await lookup(host, { all: true, verbatim: true });
      addresses = found.map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
    } catch {
      throw new ParameterError(`url: the host ${host} does not resolve`);
    }
  }
  if (addresses.length === 0) throw new ParameterError(`url: the host ${host} does not resolve`);
  if (!allowPrivate) {
    const inside = addresses.find((a) => isPrivateAddress(a.address));
    if (inside) {
      throw new ParameterError(
        `url: ${host} is a private, loopback or reserved address (${inside.address}); webhooks go to public addresses`,
      );
    }
  }
  return addresses;
}
