/**
 * What the benchmarks read of a process from `/proc` (Linux): its stat
 * fields and its children. One reading of `/proc/<pid>/stat` for every
 * script, so they agree on what a field is.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The fields of `/proc/<pid>/stat` after the command name (which may hold
 * spaces), so `fields[0]` is the state, `[1]` the parent, `[11]`/`[12]` user
 * and system time in clock ticks, `[13]`/`[14]` reaped children's, `[19]` the
 * start time.
 */
export function statFields(pid: number): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
}

/** The live children of a process (a cluster's workers, a postmaster's backends). */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(Number(entry))[1]) === pid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
