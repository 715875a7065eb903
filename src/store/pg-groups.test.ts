/** KeyedGroups: which requests travel together, and what a failed group does to the others. */
import { describe, expect, it } from 'vitest';
import { KeyedGroups } from './pg-groups.js';

/**
 * A group runner that records its groups and holds each until the test
 * releases it (`release()`: the oldest held group answers each item doubled,
 * or fails when it holds -1). No timing: the test decides what is in flight.
 */
function heldRunner() {
  const groups: [string, number[]][] = [];
  const held: (() => void)[] = [];
  const run = (key: string, items: number[]) => {
    groups.push([key, [...items]]);
    return new Promise<number[]>((resolve, reject) => {
      held.push(() =>
        items.includes(-1) ? reject(new Error(`group of ${key} refused`)) : resolve(items.map((i) => i * 2)),
      );
    });
  };
  /** Waits until `n` groups are held (each is sent at the end of a turn), then answers the oldest. */
  const release = async (n = 1) => {
    while (held.length < n) await new Promise((resolve) => setImmediate(resolve));
    held.shift()!();
  };
  return { groups, run, release, held };
}

describe('KeyedGroups', () => {
  it('sends the requests of one turn together, per key, in arrival order, each answered its own', async () => {
    const { groups, run, release } = heldRunner();
    const keyed = new KeyedGroups(run, 10);
    const answers = Promise.all([keyed.add('a', 1), keyed.add('b', 2), keyed.add('a', 3), keyed.add('a', 4)]);
    await release(2);
    await release();
    expect(await answers).toEqual([2, 4, 6, 8]);
    expect(groups).toEqual([
      ['a', [1, 3, 4]],
      ['b', [2]],
    ]);
  });

  it('keeps one group of a key in flight: what arrives meanwhile goes as the next group', async () => {
    const { groups, run, release, held } = heldRunner();
    const keyed = new KeyedGroups(run, 10);
    const first = keyed.add('a', 1);
    while (held.length < 1) await new Promise((resolve) => setImmediate(resolve));
    const later = [keyed.add('a', 2), keyed.add('a', 3)];
    await new Promise((resolve) => setImmediate(resolve));
    later.push(keyed.add('a', 4));
    expect(groups).toHaveLength(1); // nothing more is sent while the first group is out
    await release();
    await release();
    expect(await Promise.all([first, ...later])).toEqual([2, 4, 6, 8]);
    expect(groups).toEqual([
      ['a', [1]],
      ['a', [2, 3, 4]],
    ]);
  });

  it('with inFlight > 1, sends full groups side by side up to the limit; a group that is not full waits for one back', async () => {
    const { groups, run, release, held } = heldRunner();
    const keyed = new KeyedGroups(run, 2, 3);
    const items = Array.from({ length: 9 }, (_, i) => i);
    const answers = Promise.all(items.map((i) => keyed.add('', i)));
    while (held.length < 3) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    // Three full groups out; the fourth (full) and the fifth (one item) wait.
    expect(groups.map(([, g]) => g)).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    await release(); // one back: the next full group goes
    while (held.length < 3) await new Promise((resolve) => setImmediate(resolve));
    expect(groups.map(([, g]) => g)).toHaveLength(4);
    await release();
    await new Promise((resolve) => setImmediate(resolve));
    // The last group is not full and two are still out: it waits.
    expect(groups).toHaveLength(4);
    await release();
    await release();
    await release(); // the last group went once none was out
    expect(await answers).toEqual(items.map((i) => i * 2));
    expect(groups.map(([, g]) => g)).toEqual([[0, 1], [2, 3], [4, 5], [6, 7], [8]]);
  });

  it('splits a burst into groups of at most `max`', async () => {
    const { groups, run, release } = heldRunner();
    const keyed = new KeyedGroups(run, 4);
    const items = Array.from({ length: 10 }, (_, i) => i);
    const answers = Promise.all(items.map((i) => keyed.add('a', i)));
    for (let i = 0; i < 3; i++) await release();
    expect(await answers).toEqual(items.map((i) => i * 2));
    expect(groups.map(([, g]) => g)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('fails only the group whose run failed; the key goes on with the next', async () => {
    const { groups, run, release } = heldRunner();
    const keyed = new KeyedGroups(run, 10);
    const refused = [keyed.add('a', 1), keyed.add('a', -1)].map((p) => p.catch((e: Error) => e.message));
    const other = keyed.add('b', 5);
    await release(2);
    const next = keyed.add('a', 7);
    await release();
    await release();
    expect(await Promise.all([...refused, other, next])).toEqual(['group of a refused', 'group of a refused', 10, 14]);
    expect(groups).toEqual([
      ['a', [1, -1]],
      ['b', [5]],
      ['a', [7]],
    ]);
  });

  it('fails the group of a run that throws before it returns a promise, and goes on', async () => {
    let calls = 0;
    const keyed = new KeyedGroups<number, number>((_key, items) => {
      if (calls++ === 0) throw new Error('no connection');
      return Promise.resolve(items);
    }, 10);
    await expect(keyed.add('a', 1)).rejects.toThrow('no connection');
    await expect(keyed.add('a', 2)).resolves.toBe(2);
  });
});
