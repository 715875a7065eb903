/**
 * WAL checkpoints off the writer's event loop. SQLite's automatic checkpoint
 * runs inside the COMMIT that pushes the WAL past 1,000 pages: it copies
 * those pages into the database file and waits for two fsyncs there, so
 * every write of the group waits with it. Measured in the write path alone (addPerson in
 * groups of 16): ~10 µs of the writer's CPU a call, and the fsync waits on
 * top.
 *
 * A process that writes instead turns its connection's automatic
 * checkpoint down to a fallback (`fallbackPages`, so the WAL stays bounded if
 * this thread stalls or dies), and one process per file (a server of one
 * process, or the cluster's primary for all its workers) starts this: a
 * worker thread with its own connection that runs
 * `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs`.
 * A passive checkpoint takes no write lock and never waits for one, so
 * the writer goes on committing meanwhile. It is the same checkpoint SQLite
 * would run (the WAL is synced before its pages are copied, the database file
 * after), by another connection: durability does not change.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The writer's own automatic checkpoint while the thread runs: ~40 MB of WAL (SQLite's default is 1,000 pages). */
export const fallbackPages = 10_000;

/** How often the thread checkpoints. */
const defaultIntervalMs = 200;

/** The thread: CommonJS (an eval'd worker), given better-sqlite3's resolved path. */
const threadSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').raw();
let checkpoints = 0;
const timer = setInterval(() => {
  try {
    const [busy, log, done] = checkpoint.get();
    checkpoints++;
    parentPort.postMessage({ checkpoints, busy, log, done });
  } catch (error) {
    // A busy or locked file: try again on the next tick.
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** What the thread reported after its latest checkpoint (SQLite's answer: busy, WAL frames, frames copied). */
export interface CheckpointReport {
  checkpoints: number;
  busy: number;
  log: number;
  done: number;
}

/** A running checkpoint thread. */
export interface WalCheckpointer {
  /** The latest report, undefined before the first checkpoint. */
  readonly last: CheckpointReport | undefined;
  /** Stops the thread and closes its connection. */
  stop(): Promise<void>;
}

/**
 * Starts checkpointing the WAL of the SQLite file `file` in a worker thread.
 * The thread does not keep the process alive.
 */
export function startWalCheckpointer(file: string, intervalMs = defaultIntervalMs): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(threadSource, { eval: true, workerData: { file, driver, intervalMs } });
  worker.unref();
  let last: CheckpointReport | undefined;
  worker.on('message', (report: CheckpointReport) => (last = report));
  // A thread that fails (the file gone) leaves the writer's fallback checkpoint in charge.
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    get last() {
      return last;
    },
    async stop() {
      worker.postMessage('stop');
      const timeout = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
