/**
 * Loaded into a server with `--expose-gc --import ./bench/heap-probe.mjs` by
 * bench/retained-heap.ts: on SIGUSR2 the process collects all its garbage
 * (two full collections, so what a finalizer or a weak callback let go is
 * gone too), then writes its live heap as JSON (and, when HEAP_PROBE_SNAPSHOT
 * is set, a heap snapshot; with HEAP_PROBE_PROMOTED, the profile below)
 * next to HEAP_PROBE_OUT.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { getHeapStatistics, getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

// HEAP_PROBE_PROMOTED: V8's sampling heap profiler from the first probe to
// the second, dropping the samples a scavenge freed but keeping those a
// mark-compact freed: what is left is what lived long enough to be promoted
// (the young generation's survivors still in it, a few, are in it too).
const session = process.env.HEAP_PROBE_PROMOTED ? new Session() : undefined;
session?.connect();

let probe = 0;
process.on('SIGUSR2', () => {
  // The requests in flight when the signal came settle first.
  setTimeout(() => {
    const n = probe;
    if (session && n === 1) {
      // A scavenge first: the young garbage it frees leaves the profile.
      globalThis.gc({ type: 'minor' });
      session.post('HeapProfiler.stopSampling', (error, result) => {
        writeFileSync(
          `${process.env.HEAP_PROBE_OUT}.${process.pid}.${n}.heapprofile`,
          JSON.stringify(error ?? result.profile),
        );
      });
    }
    globalThis.gc();
    globalThis.gc();
    probe++;
    const base = `${process.env.HEAP_PROBE_OUT}.${process.pid}.${n}`;
    const old = getHeapSpaceStatistics().find((space) => space.space_name === 'old_space');
    writeFileSync(
      `${base}.json`,
      JSON.stringify({ used: getHeapStatistics().used_heap_size, oldUsed: old?.space_used_size ?? 0 }),
    );
    if (process.env.HEAP_PROBE_SNAPSHOT) writeHeapSnapshot(`${base}.heapsnapshot`);
    if (session && n === 0)
      session.post('HeapProfiler.startSampling', {
        samplingInterval: 256,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: false,
      });
  }, 200);
});
