/**
 * `baton serve`: opens the database, migrates, makes sure there is a customer
 * to call the API with, listens, and shuts down gracefully on SIGINT/SIGTERM
 * (in-flight requests finish; the database closes last).
 */
import cluster from 'node:cluster';
import { buildApp } from './app.js';
import { systemClock } from './clock.js';
import { loadConfig, type Config } from './config.js';
import type { Services } from './context.js';
import { createCustomer } from './domain/customers.js';
import { JobRunner } from './jobs/runner.js';
import { createMailTransport } from './mail/transport.js';
import { Metrics } from './operations/metrics.js';
import { metricsEnabled, startMetricsServer, type MetricsServer } from './operations/metrics-server.js';
import { cryptoRandom } from './random.js';
import { countCustomers } from './store/customer.repository.js';
import { migrate, openStore, sqliteExecutorOf, storeOptions } from './store/database.js';
import type { WriteGate } from './store/sqlite-executor.js';
import { registrationGroupsOn, writeRegistrationsThrough, type RegistrationWriter } from './store/person.repository.js';
import { isMemoryDatabase } from './store/database-url.js';
import { hasWorkerV8Options, runWorkers } from './workers.js';

export interface RunningServer {
  url: string;
  /** The metrics port's URL, when METRICS_PORT is set. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/**
 * Starts a server; `config` defaults to the environment's. A cluster worker
 * passes `worker: true`: its primary migrated and made the first customer,
 * and checkpoints the SQLite file's WAL; `writeGate`, the cluster's write
 * token its SQLite write groups take turns with (write-token.ts);
 * `registrations`, given this process's own group commit of PostgreSQL
 * registrations, where they go instead (each customer's owner,
 * registration-owner.ts).
 */
export async function serve(
  config: Config = loadConfig(),
  options: {
    worker?: boolean;
    writeGate?: WriteGate;
    registrations?: (local: RegistrationWriter) => Promise<{ write: RegistrationWriter; close(): Promise<void> }>;
  } = {},
): Promise<RunningServer> {
  const store = openStore(config.databaseUrl, {
    ...storeOptions(config),
    checkpointInBackground: !options.worker,
    checkpointElsewhere: options.worker,
  });
  if (options.writeGate) sqliteExecutorOf(store.db)?.useWriteGate(options.writeGate);
  const localRegistrations = registrationGroupsOn(store.db);
  const registrations =
    options.registrations && localRegistrations ? await options.registrations(localRegistrations) : undefined;
  if (registrations) writeRegistrationsThrough(store.db, registrations.write);
  // Metrics off (neither METRICS_PORT nor METRICS_TOKEN) means nothing is counted at all.
  const metrics = metricsEnabled(config) ? new Metrics(store, systemClock) : undefined;
  const services: Services = { store, clock: systemClock, random: cryptoRandom, config, metrics };
  if (!options.worker) await prepareDatabase(services);

  const jobs = new JobRunner(services, createMailTransport(config), { intervalMs: config.jobIntervalSeconds * 1000 });
  const app = await buildApp(services, { mail: jobs, jobs });
  // With JOB_INTERVAL_SECONDS=0 the runner never sweeps; it still sends a registration's confirmation when poked.
  jobs.log = app.log;
  let closing: Promise<void> | undefined;
  // Once shutting down, answers close their connection, so keep-alive clients
  // reconnect (through the load balancer, to another instance) instead of
  // holding this process open until their connection times out.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  // Node's default accept backlog (511) resets connections when a burst of
  // clients connects at once; the kernel caps this at net.core.somaxconn.
  let url: string;
  try {
    url = await app.listen({ port: config.port, host: config.host, backlog: 4096 });
  } catch (error) {
    // Nothing is left open to keep the process alive: it exits with the reason.
    await app.close().catch(() => undefined);
    await registrations?.close().catch(() => undefined);
    await jobs.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw new Error(listenFailure(error, config), { cause: error });
  }
  let metricsServer: MetricsServer | undefined;
  // A cluster worker never binds the metrics port: the primary serves it for all workers (ClusterMetrics).
  if (metrics && config.metricsPort !== null && !cluster.isWorker) {
    metricsServer = await startMetricsServer(config, metrics);
  }
  jobs.start();
  const close = () =>
    (closing ??= (async () => {
      await app.close();
      // Other workers' registrations this one owns are answered before its pool closes.
      await registrations?.close();
      await metricsServer?.close();
      await jobs.stop();
      await store.close();
    })());
  return { url, metricsUrl: metricsServer?.url, close };
}

/** Why `serve` could not listen on HOST:PORT, in the operator's words. */
function listenFailure(error: unknown, config: Config): string {
  const reasons: Record<string, string> = {
    EADDRINUSE: 'the port is in use (another Baton, or another server); set PORT to a free one',
    EACCES: 'not allowed (ports below 1024 need privileges); set PORT to 1024 or more',
    EADDRNOTAVAIL: 'HOST is not an address of this machine',
  };
  const code = (error as NodeJS.ErrnoException).code;
  const reason = (code && reasons[code]) ?? (error instanceof Error ? error.message : String(error));
  return `cannot listen on ${config.host}:${config.port}: ${reason}`;
}

/** What happens once per start, before any request: migrations, and the first customer of an empty database. */
export async function prepareDatabase(services: Services): Promise<void> {
  if (services.config.migrateOnStart) await migrate(services.store);
  await ensureFirstCustomer(services);
}

/**
 * On first start with an empty database, creates one customer and prints its
 * UID and key once, so a newcomer can call the API at once.
 */
async function ensureFirstCustomer(services: Services): Promise<void> {
  if ((await countCustomers(services.store.db)) > 0) return;
  const { customer, key } = await createCustomer(services, { name: 'First customer' });
  process.stdout.write(
    [
      '',
      'Created the first customer. Keep the key: it is shown only this once.',
      `  customer: ${customer.uid}`,
      `  key:      ${key}`,
      '',
      '',
    ].join('\n'),
  );
}

/**
 * Runs `serve` until SIGINT or SIGTERM: as WORKERS cluster workers, one too.
 * A worker is forked with V8 options its heap is sized by (workers.ts); a
 * process started as `node baton serve` is already past the point where V8
 * reads them, and served at 169 MB peak where a worker peaked at 121–135.
 * Only an operator who gave those options themselves gets one process, and
 * so does a memory database, which lives in the process that opened it.
 */
export async function runUntilSignalled(config: Config = loadConfig()): Promise<void> {
  // A memory database (DATABASE_URL=:memory:, WORKERS=1 by config) must be the serving process's own.
  const inMemory = isMemoryDatabase(config.databaseUrl);
  const heapReady = hasWorkerV8Options(process.execArgv, process.env.NODE_OPTIONS);
  if (config.workers > 1 || cluster.isWorker || (!heapReady && !inMemory)) return runWorkers(config);
  const server = await serve(config);
  process.stdout.write(`Baton listening on ${server.url}\n`);
  if (server.metricsUrl) process.stdout.write(`Metrics on ${server.metricsUrl}/metrics\n`);
  const stop = (signal: string) => {
    process.stderr.write(`${signal}: finishing in-flight requests…\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
