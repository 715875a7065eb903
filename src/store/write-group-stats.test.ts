import { describe, expect, it } from 'vitest';
import { longHoldsOf, scavengesIn } from './write-group-stats.js';

describe('scavengesIn (BATON_WRITE_STATS)', () => {
  it('counts the scavenges that began inside a token hold, ends included, and none between holds', () => {
    // Holds [1, 2], [5, 6], [9, 9.5]; scavenges before, inside, between, on an edge and after them.
    const holds = [1, 2, 5, 6, 9, 9.5];
    expect(scavengesIn(holds, [0.5, 1.5, 3, 5, 6, 7, 9.2, 12])).toEqual({ inHolds: 4, of: 8, holds: 3 });
    expect(scavengesIn(holds, [])).toEqual({ inHolds: 0, of: 0, holds: 3 });
    expect(scavengesIn([], [1, 2])).toEqual({ inHolds: 0, of: 2, holds: 0 });
  });
});

describe('longHoldsOf (BATON_WRITE_STATS)', () => {
  it('sorts long holds by a collection inside them first, then a preemption, then neither', () => {
    // Holds [from, to, CPU ms, involuntary switches]: [10, 14] with a scavenge from 12; [20, 25] preempted
    // twice; [30, 34] neither; [40, 44] with a collection that began before it and paused into it.
    const long = [10, 14, 3, 1, 20, 25, 2, 2, 30, 34, 4, 0, 40, 44, 1, 0];
    const collections = [1, 0.5, 1, 12, 1, 1, 26, 2, 4, 39, 1.5, 4, 50, 1, 1];
    expect(longHoldsOf(long, collections, 100)).toEqual({
      n: 4,
      of: 100,
      withCollection: 2,
      preempted: 1,
      neither: 1,
      meanMs: 4.25,
      meanCpuMs: 2.5,
    });
    // A collection between two holds is inside neither.
    expect(longHoldsOf([0, 3, 1, 0, 10, 13, 1, 0], [5, 2, 1], 2)).toMatchObject({ withCollection: 0, neither: 2 });
    expect(longHoldsOf([], collections, 0)).toEqual({
      n: 0,
      of: 0,
      withCollection: 0,
      preempted: 0,
      neither: 0,
      meanMs: 0,
      meanCpuMs: 0,
    });
  });
});
