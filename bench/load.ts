/**
 * The load generator, run as its own process so it never shares an event loop
 * with the server it measures. Reads one job (JSON) from argv, runs autocannon
 * and prints a JSON summary on stdout.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** One measured target. */
export interface LoadJob {
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  connections: number;
  /** Seconds. */
  duration: number;
  /** A sequence of requests each connection cycles through (instead of `method`/`body` alone): the mixed row. */
  requests?: { method: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> }[];
  /** Each answer must contain this text (e.g. `"code":0}`), or it counts as a mismatch. */
  expect: string;
  /** A header that carries a value of its own on every request (e.g. a fresh Idempotency-Key). */
  uniqueHeader?: string;
}

/** What the orchestrator reads back. */
export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
}

/** Sets `name` to a value no other request of any run has (a per-process UUID and a counter). */
function withUniqueHeader(name: string) {
  const prefix = randomUUID();
  let counter = 0;
  return (request: { headers?: Record<string, string> }) => ({
    ...request,
    headers: { ...request.headers, [name]: `${prefix}-${counter++}` },
  });
}

async function run(job: LoadJob, duration: number) {
  return autocannon({
    url: job.url,
    method: job.method,
    body: job.body,
    headers: job.headers,
    ...(job.requests ? { requests: job.requests } : {}),
    connections: job.connections,
    ...(job.uniqueHeader ? { requests: [{ setupRequest: withUniqueHeader(job.uniqueHeader) }] } : {}),
    pipelining: 1,
    duration,
    verifyBody: (body: string) => body.includes(job.expect),
  });
}

// The job as JSON, or the path of a file holding it (the mixed row's sequence is too long for argv).
const arg = process.argv[2] ?? '{}';
const job = JSON.parse(arg.startsWith('{') ? arg : readFileSync(arg, 'utf8')) as LoadJob;
const result = await run(job, job.duration);
const summary: LoadResult = {
  requestsPerSecond: result.requests.total / result.duration,
  p50: result.latency.p50,
  p99: result.latency.p99,
  requests: result.requests.total,
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  mismatches: result.mismatches,
};
process.stdout.write(JSON.stringify(summary) + '\n');
