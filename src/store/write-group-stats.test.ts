import { describe, expect, it } from 'vitest';
import { scavengesIn } from './write-group-stats.js';

describe('scavengesIn (BATON_WRITE_STATS)', () => {
  it('counts the scavenges that began inside a token hold, ends included, and none between holds', () => {
    // Holds [1, 2], [5, 6], [9, 9.5]; scavenges before, inside, between, on an edge and after them.
    const holds = [1, 2, 5, 6, 9, 9.5];
    expect(scavengesIn(holds, [0.5, 1.5, 3, 5, 6, 7, 9.2, 12])).toEqual({ inHolds: 4, of: 8, holds: 3 });
    expect(scavengesIn(holds, [])).toEqual({ inHolds: 0, of: 0, holds: 3 });
    expect(scavengesIn([], [1, 2])).toEqual({ inHolds: 0, of: 2, holds: 0 });
  });
});
