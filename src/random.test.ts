import { describe, expect, it } from 'vitest';
import { cryptoRandom } from './random.js';

describe('cryptoRandom', () => {
  it('makes 16-character [A-Z0-9] UIDs that sort by creation time and differ in their random part', () => {
    const uids = Array.from({ length: 10_000 }, () => cryptoRandom.uid());
    for (const uid of uids) expect(uid).toMatch(/^[A-Z0-9]{16}$/);
    expect(new Set(uids).size).toBe(uids.length);
    const seconds = Math.floor(Date.now() / 1000) - 1_577_836_800;
    const prefix = seconds.toString(36).toUpperCase().padStart(6, '0');
    // Made within this second or the one before.
    for (const uid of uids.slice(-10)) expect(uid.slice(0, 6) >= (seconds - 2).toString(36).toUpperCase()).toBe(true);
    expect(uids.at(-1)!.slice(0, 6) <= prefix).toBe(true);
    // Every character value appears in the random parts: no bias to a subset.
    const seen = new Set(uids.flatMap((u) => [...u.slice(7)]));
    expect(seen.size).toBe(36);
  });

  it('orders UIDs made within one second by the 36th of it they were made in (seventh character)', () => {
    const prefixes: string[] = [];
    const seen = new Set<string>();
    // Made until three 28 ms steps have been seen (a few seconds at most, so
    // a process descheduled on a loaded machine still gets there): in order.
    const until = Date.now() + 5000;
    while (seen.size < 3 && Date.now() < until) {
      const prefix = cryptoRandom.uid().slice(0, 7);
      prefixes.push(prefix);
      seen.add(prefix);
    }
    const outOfOrder = prefixes.findIndex((prefix, i) => i > 0 && prefix < prefixes[i - 1]!);
    expect(outOfOrder).toBe(-1);
    expect(seen.size).toBe(3);
  });

  it('makes distinct 32-character hex keys', () => {
    const keys = Array.from({ length: 1000 }, () => cryptoRandom.key());
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
