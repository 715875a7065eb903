/**
 * What a write group's latency is made of, for the benchmark
 * (`BATON_WRITE_STATS=1`): how long a group waited for the write token, how
 * long it held it, how long its units and its COMMIT took, how many writes it
 * held, and how long its first write waited for its answer; beside them the
 * process's GC pauses and event-loop delay. Off (and free) unless the
 * variable is set; with it, one JSON line on stderr when the process exits.
 */
import { writeSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';

/** One measured quantity: every sample kept (a benchmark run's worth), summarised at exit. */
class Samples {
  private readonly values: number[] = [];
  add(value: number): void {
    if (this.values.length < 2_000_000) this.values.push(value);
  }
  summary(): Record<string, number> {
    const sorted = this.values.slice().sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
    const sum = sorted.reduce((a, b) => a + b, 0);
    return {
      n: sorted.length,
      mean: sorted.length ? Math.round((sum / sorted.length) * 10) / 10 : 0,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: at(1),
    };
  }
}

/** The samples of one process's write groups (milliseconds, except `size`). */
export interface WriteGroupStats {
  /** The group asked for the token (or its flush started) → it holds it. */
  readonly wait: Samples;
  /** The token held: grant → release. */
  readonly hold: Samples;
  /** The group's flush started (the token in hand) → BEGIN IMMEDIATE done. */
  readonly begin: Samples;
  /** BEGIN → the last unit done. */
  readonly units: Samples;
  /** The COMMIT statement. */
  readonly commit: Samples;
  /** Writes in the group. */
  readonly size: Samples;
  /** The group's oldest write: queued → settled. */
  readonly latency: Samples;
  /** Events counted by name (the write token's messages: `token.ask`, `token.pass`, …). */
  readonly counts: Record<string, number>;
  /** The token was granted: the start of a hold, whose CPU and involuntary context switches `held` counts. */
  granted(): void;
  /**
   * A token hold from `from` to `to` (statsNow()): the scavenges that began inside one are counted at exit,
   * and a long one (`longHoldMs` or more) is kept with what was inside it (`longHolds`).
   */
  held(from: number, to: number): void;
}

/** A hold this long or longer is kept with its CPU, context switches and collections (`longHolds`). */
export const longHoldMs = 3;

/** The process's CPU (ms, every thread) and its involuntary context switches so far. */
function usage(): [cpuMs: number, switches: number] {
  const r = process.resourceUsage();
  return [(r.userCPUTime + r.systemCPUTime) / 1000, r.involuntaryContextSwitches];
}

/** Now, in milliseconds with sub-millisecond precision. */
export const statsNow = (): number => performance.now();

function start(): WriteGroupStats {
  const stats = {
    wait: new Samples(),
    hold: new Samples(),
    begin: new Samples(),
    units: new Samples(),
    commit: new Samples(),
    size: new Samples(),
    latency: new Samples(),
    counts: {} as Record<string, number>,
    granted: () => {
      began = usage();
    },
    held: (from: number, to: number) => {
      if (holds.length < 4_000_000) holds.push(from, to);
      if (to - from < longHoldMs || long.length >= 400_000) return;
      const [cpuMs, switches] = usage();
      long.push(from, to, cpuMs - began[0], switches - began[1]);
    },
  };
  let began: [number, number] = [0, 0];
  // Long holds as [from, to, CPU ms, involuntary switches]; every collection as [start, duration, kind].
  const long: number[] = [];
  const collections: number[] = [];
  // Token holds as [from, to] pairs and the scavenges' start times, in statsNow()'s time base.
  const holds: number[] = [];
  const scavenges: number[] = [];
  // By V8's kind: 1 scavenge, 2 minor mark-compact, 4 mark-sweep-compact, 8 incremental marking, 16 weak callbacks.
  const gc = new Map<number, Samples>();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      let samples = gc.get(kind);
      if (!samples) gc.set(kind, (samples = new Samples()));
      samples.add(entry.duration);
      if (kind === 1 && scavenges.length < 2_000_000) scavenges.push(entry.startTime);
      if (collections.length < 3_000_000) collections.push(entry.startTime, entry.duration, kind);
    }
  }).observe({ entryTypes: ['gc'] });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  process.once('exit', () => {
    const line = {
      writeGroupStats: process.env.BATON_WORKER ?? '0',
      ...Object.fromEntries(
        Object.entries(stats).flatMap(([name, samples]) =>
          samples instanceof Samples ? [[name, samples.summary()]] : [],
        ),
      ),
      counts: stats.counts,
      gc: Object.fromEntries([...gc].map(([kind, samples]) => [kind, samples.summary()])),
      scavengesInHolds: scavengesIn(holds, scavenges),
      longHolds: longHoldsOf(long, collections, holds.length / 2),
      heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
      loopDelay: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    };
    writeSync(2, JSON.stringify(line) + '\n');
  });
  return stats;
}

/** How many of `starts` fall inside one of the [from, to] pairs of `holds` (both in time order), of how many. */
export function scavengesIn(
  holds: readonly number[],
  starts: readonly number[],
): { inHolds: number; of: number; holds: number } {
  let inHolds = 0;
  let h = 0;
  for (const at of starts) {
    while (h < holds.length && holds[h + 1]! < at) h += 2;
    if (h < holds.length && holds[h]! <= at) inHolds++;
  }
  return { inHolds, of: starts.length, holds: holds.length / 2 };
}

/** What the long holds had inside them: a collection's pause, the process taken off its core, neither. */
export interface LongHolds {
  /** Holds of `longHoldMs` or more, of how many holds. */
  n: number;
  of: number;
  /** Of them: a collection (any kind) paused the process inside the hold. */
  withCollection: number;
  /** Of the others: the kernel took the core away at least once (an involuntary context switch). */
  preempted: number;
  /** The rest: neither (the hold's own work, or a wait for I/O). */
  neither: number;
  /** Mean hold, and the mean CPU the process used in it (every thread), in ms. */
  meanMs: number;
  meanCpuMs: number;
}

/**
 * Sorts `long` ([from, to, CPU ms, involuntary switches] a hold, in time order) by what was inside each
 * hold: a collection of `collections` ([start, duration, kind], in start order) overlapping it first.
 */
export function longHoldsOf(long: readonly number[], collections: readonly number[], of: number): LongHolds {
  const result: LongHolds = { n: 0, of, withCollection: 0, preempted: 0, neither: 0, meanMs: 0, meanCpuMs: 0 };
  let c = 0;
  let wall = 0;
  let cpu = 0;
  for (let i = 0; i < long.length; i += 4) {
    const from = long[i]!;
    const to = long[i + 1]!;
    result.n++;
    wall += to - from;
    cpu += long[i + 2]!;
    // Collections that ended before this hold began cannot overlap it or a later one.
    while (c < collections.length && collections[c]! + collections[c + 1]! < from) c += 3;
    let overlaps = false;
    for (let k = c; k < collections.length && collections[k]! <= to; k += 3) overlaps = true;
    if (overlaps) result.withCollection++;
    else if (long[i + 3]! > 0) result.preempted++;
    else result.neither++;
  }
  if (result.n > 0) {
    result.meanMs = Math.round((wall / result.n) * 100) / 100;
    result.meanCpuMs = Math.round((cpu / result.n) * 100) / 100;
  }
  return result;
}

/** The process's write-group samples, or undefined when `BATON_WRITE_STATS` is not set. */
export const writeGroupStats: WriteGroupStats | undefined = process.env.BATON_WRITE_STATS === '1' ? start() : undefined;
