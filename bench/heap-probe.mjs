/**
 * Loaded into a server with `--expose-gc --import ./bench/heap-probe.mjs` by
 * bench/retained-heap.ts: on SIGUSR2 the process collects all its garbage
 * (two full collections, so what a finalizer or a weak callback let go is
 * gone too), then writes its live heap as JSON (and, when HEAP_PROBE_SNAPSHOT
 * is set, a heap snapshot) next to HEAP_PROBE_OUT.
 */
import { writeFileSync } from 'node:fs';
import { getHeapStatistics, getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

let probe = 0;
process.on('SIGUSR2', () => {
  // The requests in flight when the signal came settle first.
  setTimeout(() => {
    globalThis.gc();
    globalThis.gc();
    const n = probe++;
    const base = `${process.env.HEAP_PROBE_OUT}.${process.pid}.${n}`;
    const old = getHeapSpaceStatistics().find((space) => space.space_name === 'old_space');
    writeFileSync(
      `${base}.json`,
      JSON.stringify({ used: getHeapStatistics().used_heap_size, oldUsed: old?.space_used_size ?? 0 }),
    );
    if (process.env.HEAP_PROBE_SNAPSHOT) writeHeapSnapshot(`${base}.heapsnapshot`);
  }, 200);
});
