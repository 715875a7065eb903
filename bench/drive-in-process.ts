/**
 * The in-process benches' one measurement: autocannon in a child process at 32
 * connections drives a server listening in this process, and this process's
 * `process.cpuUsage()` over the run, divided by the requests answered, is the
 * server's CPU per request (the load generator's CPU is its own process's).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const autocannon = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/** What one run measured. */
export interface InProcessRun {
  /** Server CPU, user + system, in µs per request answered. */
  perRequest: number;
  /** Requests per second, autocannon's average. */
  average: number;
  /** p99 latency in ms. */
  p99: number;
  /** Answers that were not 2xx, and connection errors. */
  non2xx: number;
  errors: number;
}

/**
 * Drives `url` for `seconds`; `args` are autocannon's further options
 * (`-m POST -b … -H …` for a body).
 */
export async function driveInProcess(
  url: string,
  seconds: number | string,
  args: string[] = [],
): Promise<InProcessRun> {
  const before = process.cpuUsage();
  const out = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, [autocannon, '-c', '32', '-d', String(seconds), '-j', ...args, url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('close', () => resolve(text));
  });
  const cpu = process.cpuUsage(before);
  const result = JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p99: number };
    non2xx: number;
    errors: number;
  };
  return {
    perRequest: (cpu.user + cpu.system) / result.requests.total,
    average: result.requests.average,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
