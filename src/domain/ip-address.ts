/**
 * Small readings of IP addresses that node:net does not offer: the groups of
 * an IPv6 address, and the network an address is counted under.
 */
import { isIP } from 'node:net';

/** The eight 16-bit groups of an IPv6 address in hex form (no dotted tail), or null for any other text. */
export function ipv6Groups(address: string): number[] | null {
  if (address.includes('.') || isIP(address) !== 6) return null;
  const [head, tail, extra] = address.split('::');
  if (extra !== undefined) return null;
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  if (left.length + missing + right.length !== 8) return null;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => parseInt(group, 16));
}

/**
 * The key a client address is counted under by a throttle: an IPv6 address
 * by its /64 (the usual allocation to one site or host, which can take any
 * address inside it, so counting single addresses would let it try forever),
 * an IPv4 address as it is.
 */
export function addressThrottleKey(address: string): string {
  // IPv4 and IPv4-mapped peers (::ffff:1.2.3.4) are single addresses; the common case costs one scan.
  if (!address.includes(':') || address.includes('.')) return address;
  const groups = ipv6Groups(address);
  return groups
    ? `${groups
        .slice(0, 4)
        .map((group) => group.toString(16))
        .join(':')}::/64`
    : address;
}
