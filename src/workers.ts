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
 * WORKERS=1 is one worker the same way (server.ts says why not one process).
 *
 * On SQLite every worker writes its own commands through its own
 * connection's group commit; the primary only hands out the cluster's write
 * token (write-token.ts), one grant per write group, so the workers take
 * turns instead of colliding on the file's write lock. The primary holds no
 * database connection once it has migrated: it runs the WAL checkpoint
 * thread for all of them (one checkpointer per file), and each worker's own
 * job runner delivers the webhooks its commits wake. A worker that dies
 * holding the token has it taken back; when the primary dies, the workers
 * exit (node:cluster's workers leave once their channel closes) and the
 * supervisor restarts the service. PostgreSQL has no single write lock:
 * every worker writes, with no token; a customer's registrations' group
 * statements all run in one worker, its owner, the others sending theirs
 * over a Unix socket in a directory the primary makes for the cluster
 * (registration-owner.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Services } from './context.js';
import { ClusterMetrics } from './operations/metrics.js';
import { startMetricsServer } from './operations/metrics-server.js';
import { cryptoRandom } from './random.js';
import { startRegistrationLinks } from './registration-owner.js';
import { prepareDatabase, serve } from './server.js';
import { openStore, startCheckpoints, storeOptions } from './store/database.js';
import {
  installThrottleRelay,
  isThrottleMessage,
  receiveThrottleMessage,
  type ThrottleHitMessage,
  type ThrottleRelayChannel,
} from './protocol/throttle.js';
import { isTokenMessage, WriteTokenClient, WriteTokenHost, type TokenChannel } from './write-token.js';

/** Set in a worker's environment when its write groups take turns with the cluster's write token. */
const tokenEnv = 'BATON_WRITE_TOKEN';

/**
 * Set in a worker's environment (PostgreSQL): the directory, only the
 * service's user's, where each worker owns its customers' registrations on a
 * socket (registration-owner.ts).
 */
const registrationsEnv = 'BATON_REGISTRATION_SOCKETS';

/**
 * V8 options for the workers, unless the operator set the same option
 * (node's own arguments; NODE_OPTIONS for those it may carry). A young
 * generation of at most 4 MB a semi-space instead of V8's 16: each request's
 * garbage dies young either way, and a worker answering 156 kB
 * getConferenceData or 57 kB list answers peaked at 109–126 MB instead of
 * 136–153 MB (idle 104–109 instead of 120–122) at the same or higher
 * throughput (measured, one worker, 32 connections, four runs each).
 * 16 MB was measured again with two workers: four times fewer scavenges on
 * cached reads, but in a full benchmark run the same CPU per request
 * (getConference 44 against 45 µs) and workers peaking at 149–157 MB, over
 * the 150 MB bound, so 4 MB stays.
 *
 * An old generation that grows by half its live size between mark-compacts
 * instead of V8's up to 4×: cached answers that a write drops (the mixed
 * traffic of reads and registrations) die old, and with V8's factor a
 * worker's 26 MB of live heap let 92–97 MB of old space fill before it was
 * collected (peak 184–196 MB; with this option 114–122 MB), at CPU per request
 * within the noise on getConference, getConferenceData, the lists and the
 * mixed traffic (three alternating runs each). It only sets how soon a
 * collection comes, never a limit a worker could fail on.
 */
const workerV8Options = ['--max-semi-space-size=4', '--heap-growing-percent=50'];

/**
 * Node's arguments for the forked workers: the primary's own, plus each of
 * `workerV8Options` the operator has not set in them or in NODE_OPTIONS.
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions = ''): string[] {
  return [...execArgv, ...missingV8Options(execArgv, nodeOptions)];
}

/** Whether this process was started with every one of `workerV8Options` set, by us or by the operator. */
export function hasWorkerV8Options(execArgv: readonly string[], nodeOptions = ''): boolean {
  return missingV8Options(execArgv, nodeOptions).length === 0;
}

function missingV8Options(execArgv: readonly string[], nodeOptions: string): string[] {
  // V8 reads --a_b as --a-b.
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((arg) => arg.replaceAll('_', '-'));
  return workerV8Options.filter((option) => {
    const name = option.split('=')[0]!;
    return !given.some((arg) => arg === name || arg.startsWith(`${name}=`));
  });
}

/** What a worker tells its primary. */
interface WorkerMessage {
  listening?: string;
}

/** Runs this process's part: the primary (forks and supervises) or one worker. */
export async function runWorkers(config: Config): Promise<void> {
  if (cluster.isWorker) return runWorker(config);

  const store = openStore(config.databaseUrl, storeOptions(config));
  const services: Services = { store, clock: systemClock, random: cryptoRandom, config };
  const sqlite = store.dialect === 'sqlite';
  try {
    await prepareDatabase(services);
  } finally {
    // The workers do every read and write from here on.
    await store.close();
  }
  const checkpoints = sqlite ? startCheckpoints(config.databaseUrl) : undefined;
  // One worker has no one to take turns with: it writes as one process does (SQLite's lock still
  // orders it with the CLI and other machines' tools).
  const token = sqlite && config.workers > 1 ? new WriteTokenHost<Worker>() : undefined;
  // mkdtemp makes it 0700: no other user can reach the workers' sockets.
  const sockets = !sqlite && config.workers > 1 ? mkdtempSync(join(tmpdir(), 'baton-')) : undefined;

  let stopping = false;
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS) });
  const workers = new Map<number, Worker>();
  // The port the cluster listens on, once a worker has. With PORT=0 it is the kernel's choice, and the
  // primary closes it when the last worker listening on it dies (WORKERS=1): a replacement forked with
  // no worker alive asks for that port by number. While one is alive it must not: a handle for the
  // number would be a second listener on a port the first (PORT=0) handle holds.
  let port: string | undefined;
  const fork = (index: number) =>
    new Promise<string>((resolve, reject) => {
      const alone = port !== undefined && [...workers.values()].every((other) => other.isDead());
      const worker = cluster.fork({
        ...(alone ? { PORT: port } : {}),
        BATON_WORKER: String(index),
        ...(token ? { [tokenEnv]: '1' } : {}),
        ...(sockets ? { [registrationsEnv]: sockets } : {}),
      });
      workers.set(index, worker);
      worker.on('message', (message: WorkerMessage | ThrottleHitMessage) => {
        if (token && isTokenMessage(message)) {
          token.receive(worker, message);
        } else if (isThrottleMessage(message)) {
          // A hit one worker counted in memory: the others count it too (throttle.ts).
          for (const other of workers.values()) {
            if (other !== worker && other.isConnected()) other.send(message, () => undefined);
          }
        } else if (message.listening) {
          process.stdout.write(`worker ${index} listening (pid ${worker.process.pid})\n`);
          port ??= new URL(message.listening).port;
          resolve(message.listening);
        }
      });
      worker.once('exit', (code, signal) => {
        // SQLite rolled back whatever the dead worker had not committed: another worker may write.
        token?.gone(worker);
        reject(new Error(`worker ${index} exited (${signal ?? code}) before listening`));
        // A worker that cannot start (the port taken, a database it cannot open) ends the start: it would
        // fail again the same way. Once every worker listened, a worker that dies is replaced.
        if (stopping || !started) return;
        process.stderr.write(
          `worker ${index} (pid ${worker.process.pid}) exited (${signal ?? code}); starting another\n`,
        );
        fork(index).catch((error: unknown) => process.stderr.write(`${String(error)}\n`));
      });
    });

  let started = false;
  let urls: string[];
  try {
    urls = await Promise.all(Array.from({ length: config.workers }, (_, i) => fork(i + 1)));
  } catch (error) {
    stopping = true;
    await Promise.all(
      [...workers.values()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
    await checkpoints?.stop().catch(() => undefined);
    if (sockets) rmSync(sockets, { recursive: true, force: true });
    throw error;
  }
  started = true;
  process.stdout.write(
    `Baton listening on ${urls[0]} (${config.workers} ${config.workers === 1 ? 'worker' : 'workers'})\n`,
  );
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
    // The workers finish their in-flight requests (and commit their writes) first; the checkpoints stop last.
    void Promise.all(exits)
      .then(async (codes) => {
        await checkpoints?.stop().catch(() => undefined);
        if (sockets) rmSync(sockets, { recursive: true, force: true });
        return codes;
      })
      .then((codes) => process.exit(codes.every((c) => c === 0) ? 0 : 1));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/**
 * A worker's serve(): one that cannot start says why and exits, so its primary stops the start (the IPC
 * channel to the primary would keep a failed worker alive).
 */
async function serveOrExit(...args: Parameters<typeof serve>): Promise<Awaited<ReturnType<typeof serve>>> {
  try {
    return await serve(...args);
  } catch (error) {
    process.stderr.write(`baton: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

async function runWorker(config: Config): Promise<void> {
  const index = Number(process.env.BATON_WORKER ?? '1');
  // On SQLite the throttles count in memory: every worker counts every worker's hits (on PostgreSQL
  // they count in the database, and no in-memory throttle is made to relay).
  if (config.workers > 1 && process.send) {
    installThrottleRelay(process as unknown as ThrottleRelayChannel);
    process.on('message', (message) => receiveThrottleMessage(message));
  }
  let writeGate: WriteTokenClient | undefined;
  if (process.env[tokenEnv] === '1' && process.send) {
    const gate = new WriteTokenClient(process as unknown as TokenChannel);
    process.on('message', (message) => gate.receive(message));
    process.once('disconnect', () => gate.close(new Error('the cluster primary is gone')));
    writeGate = gate;
  }
  const sockets = process.env[registrationsEnv];
  const server = await serveOrExit(
    { ...config, jobIntervalSeconds: index === 1 ? config.jobIntervalSeconds : 0 },
    {
      worker: true,
      writeGate,
      registrations: sockets ? (local) => startRegistrationLinks(sockets, index, config.workers, local) : undefined,
    },
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
