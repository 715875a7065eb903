/**
 * Real Baton server processes for tests that need more than one process, or
 * a process to signal: `node --import tsx src/cli/main.ts serve`, configured
 * by environment like a deployment, on a free loopback port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request, Agent, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { Services } from '../src/context.js';
import { createCustomer } from '../src/domain/customers.js';
import { cryptoRandom } from '../src/random.js';
import { openStore, type Store } from '../src/store/database.js';
import { createTestDatabase, type TestDatabase } from './database.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  /** Resolves when stdout (the JSON log, with LOG_LEVEL=info) contains `text`. */
  waitForStdout(text: string): Promise<void>;
  /** Resolves when the process has exited, with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves when stderr contains `text`. */
  waitForStderr(text: string): Promise<void>;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `baton serve` with `env` on top of the test's environment (and `nodeArgs` for node); resolves once it listens. */
export async function startServerProcess(env: Record<string, string>, nodeArgs: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', AUTH_FAILURE_LIMIT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stdout = watch(child.stdout!, exited);
  const stderrStream = watch(child.stderr!, exited);
  const stderr = () => stderrStream.text;
  const waitForStderr = stderrStream.waitFor;
  await stdout.waitFor('Baton listening on ');
  const url = /Baton listening on (http:\/\/\S+)/.exec(stdout.text)![1]!;
  return {
    url,
    child,
    stderr,
    stdout: () => stdout.text,
    waitForStdout: stdout.waitFor,
    exited,
    waitForStderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Collects a stream's text and lets a test wait for a piece of it. */
function watch(stream: Readable, exited: Promise<number | null>) {
  const state = { text: '' };
  const waiters: { text: string; resolve: () => void }[] = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    state.text += chunk;
    for (const w of waiters.splice(0)) {
      if (state.text.includes(w.text)) w.resolve();
      else waiters.push(w);
    }
  });
  return {
    get text() {
      return state.text;
    },
    waitFor: (text: string) =>
      new Promise<void>((resolve, reject) => {
        if (state.text.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void exited.then((code) => reject(new Error(`server exited (${code}) before "${text}":\n${state.text}`)));
      }),
  };
}

/** Keep-alive connections, a bounded number per server, so thousands of parallel calls queue instead of exhausting sockets. */
export const testAgent = new Agent({ keepAlive: true, maxSockets: 32 });

type Envelope = { code: number; message: string; value: any };

/** Reads an answer's body as a JSON envelope; rejects with the status and text when it is not one. */
function readEnvelope(
  res: IncomingMessage,
  fn: string,
  resolve: (envelope: Envelope) => void,
  reject: (error: Error) => void,
): void {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => (text += c));
  res.on('end', () => {
    try {
      resolve(JSON.parse(text) as Envelope);
    } catch {
      reject(new Error(`HTTP ${res.statusCode} from ${fn}: ${text}`));
    }
  });
}

/** POSTs an _access function call (type=json) and returns the parsed envelope. */
export function callFunction(
  baseUrl: string,
  fn: string,
  params: Record<string, string | number>,
): Promise<{ code: number; message: string; value: any }> {
  const body = new URLSearchParams(Object.entries({ type: 'json', ...params }).map(([k, v]) => [k, String(v)]));
  const method = fn.startsWith('get') ? 'GET' : 'POST';
  const target = new URL(`/_access/${fn}${method === 'GET' ? `?${body.toString()}` : ''}`, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method,
        agent: testAgent,
        headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
      },
      (res) => readEnvelope(res, fn, resolve, reject),
    );
    req.on('error', reject);
    req.end(method === 'POST' ? body.toString() : undefined);
  });
}

/**
 * One POSTed call on a connection of its own: the cluster's primary hands
 * each new connection to the next worker in turn, so consecutive calls
 * alternate between the workers. Rejects when no answer comes (a connection
 * a dying worker had accepted may never be answered).
 */
export function callOnNewConnection(
  baseUrl: string,
  fn: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ code: number; message: string; value: any }> {
  const body = new URLSearchParams({ type: 'json', ...params }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(`/_access/${fn}`, baseUrl),
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      },
      (res) => readEnvelope(res, fn, resolve, reject),
    );
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('no answer')));
    req.end(body);
  });
}

/** Two server processes on one fresh database, a store of the test's own on it, and a customer to call them as. */
export interface ProcessPair {
  database: TestDatabase;
  servers: ServerProcess[];
  store: Store;
  credentials: { customer: string; key: string };
  /** Stops both processes, closes the store and drops the database. */
  stop(): Promise<void>;
}

/**
 * Starts two server processes at once on a fresh database (the migrator's
 * lock lets one migrate while the other waits) with `env` besides
 * DATABASE_URL, then creates the customer `customer` through the domain.
 */
export async function startProcessPair(
  env: Record<string, string>,
  customer: { name: string; did: string },
): Promise<ProcessPair> {
  const database = await createTestDatabase();
  const servers = await Promise.all([1, 2].map(() => startServerProcess({ ...env, DATABASE_URL: database.url })));
  const { store, credentials } = await storeWithCustomer(database, customer);
  return {
    database,
    servers,
    store,
    credentials,
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      await store.close();
      await database.drop();
    },
  };
}

/** A store of the test's own on `database`, and a customer created in it through the domain. */
async function storeWithCustomer(
  database: TestDatabase,
  customer: { name: string; did: string },
): Promise<{ store: Store; credentials: { customer: string; key: string } }> {
  const store = openStore(database.url, { poolMax: 2 });
  const services: Services = {
    store,
    clock: systemClock,
    random: cryptoRandom,
    config: loadConfig({ DATABASE_URL: database.url }),
  };
  const { customer: created, key } = await createCustomer(services, customer);
  return { store, credentials: { customer: created.uid, key } };
}

/** One `baton serve` with WORKERS=2 (no job sweeps) on a fresh database, a store of the test's own, a customer. */
export interface WorkersUnderTest {
  database: TestDatabase;
  server: ServerProcess;
  store: Store;
  credentials: { customer: string; key: string };
  /** Calls `fn` as the customer on a new connection: consecutive calls alternate between the workers. */
  call(
    fn: string,
    params: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<{ code: number; message: string; value: any }>;
  /** Stops the server, closes the store and drops the database. */
  stop(): Promise<void>;
}

/**
 * Starts WORKERS=2 on a fresh database of `dialect` (default: the suite's) with the customer `customer`;
 * `env` adds to (or overrides) the server's environment.
 */
export async function startWorkers(
  customer: { name: string; did: string },
  dialect?: 'sqlite' | 'postgres',
  env: Record<string, string> = {},
): Promise<WorkersUnderTest> {
  const database = await createTestDatabase(dialect);
  const server = await startServerProcess({
    DATABASE_URL: database.url,
    WORKERS: '2',
    JOB_INTERVAL_SECONDS: '0',
    ...env,
  });
  const { store, credentials } = await storeWithCustomer(database, customer);
  return {
    database,
    server,
    store,
    credentials,
    call: (fn, params, headers) => callOnNewConnection(server.url, fn, { ...credentials, ...params }, headers),
    async stop() {
      await server.stop();
      await store.close();
      await database.drop();
    },
  };
}
