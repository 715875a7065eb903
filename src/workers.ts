/**
 * WORKERS: `baton serve` as several processes on one machine (node:cluster),
 * so a Node server uses every core. The primary migrates and makes the first
 * customer once, then forks the workers; they share the listening port (the
 * primary hands out connections round-robin) and the database (SQLite's
 * file, or PostgreSQL), and hold nothing another worker could miss: every
 * cache in a worker is checked against the database on each request.
 *
 * The job runner sweeps (reminders, calendar updates, mail) in worker 1
 * only. Its claims would make every worker safe, but on SQLite each sweep is
 * a write transaction for the one write lock, and one sweeper per machine is
 * enough; every worker still delivers a registration's confirmation at once
 * (its runner's `poke`). A worker that dies is replaced, under the same number.
 */
import cluster, { type Worker } from 'node:cluster';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { cryptoRandom } from './random.js';
import { ClusterMetrics } from './operations/metrics.js';
import { startMetricsServer } from './operations/metrics-server.js';
import { prepareDatabase, serve } from './server.js';
import { openStore, storeOptions } from './store/database.js';

/** What a worker tells its primary. */
interface WorkerMessage {
  listening?: string;
}

/** Runs this process's part: the primary (forks and supervises) or one worker. */
export async function runWorkers(config: Config): Promise<void> {
  if (cluster.isWorker) return runWorker(config);

  const store = openStore(config.databaseUrl, storeOptions(config));
  try {
    await prepareDatabase({ store, clock: systemClock, random: cryptoRandom, config });
  } finally {
    await store.close();
  }

  let stopping = false;
  const workers = new Map<number, Worker>();
  const fork = (index: number) =>
    new Promise<string>((resolve, reject) => {
      const worker = cluster.fork({ BATON_WORKER: String(index) });
      workers.set(index, worker);
      worker.on('message', (message: WorkerMessage) => {
        if (message.listening) {
          process.stdout.write(`worker ${index} listening (pid ${worker.process.pid})\n`);
          resolve(message.listening);
        }
      });
      worker.once('exit', (code, signal) => {
        reject(new Error(`worker ${index} exited (${signal ?? code}) before listening`));
        if (stopping) return;
        process.stderr.write(
          `worker ${index} (pid ${worker.process.pid}) exited (${signal ?? code}); starting another\n`,
        );
        fork(index).catch((error: unknown) => process.stderr.write(`${String(error)}\n`));
      });
    });

  const urls = await Promise.all(Array.from({ length: config.workers }, (_, i) => fork(i + 1)));
  process.stdout.write(`Baton listening on ${urls[0]} (${config.workers} workers)\n`);
  // METRICS_PORT is the primary's: one scrape answers for every worker (prom-client's AggregatorRegistry).
  if (config.metricsPort !== null) {
    const metricsServer = await startMetricsServer(config, new ClusterMetrics());
    process.stdout.write(`Metrics on ${metricsServer.url}/metrics\n`);
  }

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Each worker says "finishing in-flight requests" once it has the signal.
    process.stderr.write(`${signal}: stopping ${workers.size} workers\n`);
    const exits = [...workers.values()].map(
      (worker) =>
        new Promise<number | null>((resolve) => {
          if (worker.isDead()) return resolve(worker.process.exitCode);
          worker.once('exit', (code) => resolve(code));
          worker.process.kill('SIGTERM');
        }),
    );
    void Promise.all(exits).then((codes) => process.exit(codes.every((c) => c === 0) ? 0 : 1));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

async function runWorker(config: Config): Promise<void> {
  const index = Number(process.env.BATON_WORKER ?? '1');
  const server = await serve(
    { ...config, jobIntervalSeconds: index === 1 ? config.jobIntervalSeconds : 0 },
    { worker: true },
  );
  process.send?.({ listening: server.url } satisfies WorkerMessage);
  const stop = (signal: string) => {
    const closed = server.close();
    process.stderr.write(`${signal}: finishing in-flight requests…\n`);
    closed.then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`worker ${index} shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  // Ctrl-C reaches the whole process group: the primary and every worker.
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
