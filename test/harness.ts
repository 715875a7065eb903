/**
 * End-to-end test harness: a real Baton listening on a loopback port, over a
 * real database (SQLite file, or PostgreSQL when BATON_TEST_PG_URL is set),
 * with a clock the test controls, and a customer to call it as.
 */
import { XMLParser } from 'fast-xml-parser';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../src/app.js';
import { FakeClock } from '../src/clock.js';
import { loadConfig, type Config } from '../src/config.js';
import type { Services } from '../src/context.js';
import { createCustomer } from '../src/domain/customers.js';
import { JobRunner } from '../src/jobs/runner.js';
import { createMailTransport } from '../src/mail/transport.js';
import { Metrics } from '../src/operations/metrics.js';
import { cryptoRandom, type Random } from '../src/random.js';
import { migrate, openStore } from '../src/store/database.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/** 2026-01-15 17:00:00 UTC, a Thursday: the default "now" of a test server. */
export const testEpoch = Date.UTC(2026, 0, 15, 17, 0, 0);

export interface Credentials {
  customer: string;
  key: string;
}

/** A JSON envelope as the server sent it. */
export interface Envelope<V = any> {
  message: string;
  value: V;
  code: number;
}

export interface CallOptions {
  /** Default: GET for get* functions, POST otherwise. */
  method?: 'GET' | 'POST';
  /** Call as someone else (another customer, a wrong key). */
  as?: Credentials;
}

export interface TestServer {
  url: string;
  app: FastifyInstance;
  services: Services;
  clock: FakeClock;
  database: TestDatabase;
  /** The customer created at start (time zone UTC unless told otherwise). */
  credentials: Credentials;
  /** Calls a function with type=json and returns the parsed envelope. */
  call<V = any>(
    fn: string,
    params?: Record<string, string | number | boolean>,
    options?: CallOptions,
  ): Promise<Envelope<V>>;
  /** Calls a function with type=xml and returns the raw text. */
  callXml(fn: string, params?: Record<string, string | number | boolean>, options?: CallOptions): Promise<string>;
  /** The job runner (with `jobs: true`): never on a timer; call runOnce(now). */
  jobs: JobRunner | undefined;
  /** Creates another customer; returns its credentials. */
  addCustomer(input?: { name?: string; timeZone?: string; did?: string }): Promise<Credentials>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  config?: Partial<Config>;
  now?: number;
  random?: Random;
  timeZone?: string;
  did?: string;
  /** Serve this database (e.g. a copy) instead of a fresh one; close() leaves it for its owner to drop. */
  database?: TestDatabase;
  /** Call as this existing customer instead of creating one. */
  credentials?: Credentials;
  /** Log to this stream (at config.logLevel, redaction on) instead of not at all. */
  logStream?: { write(line: string): void };
  /** Give the app a job runner (mail transport from the config), poked by self-registration. */
  jobs?: boolean;
  /** With `jobs`: the runner's interval (for its heartbeat); it is still never started on a timer. Default 0. */
  jobIntervalMs?: number;
  /** Count for /metrics (services.metrics), as a server with METRICS_PORT or METRICS_TOKEN does. */
  metrics?: boolean;
  /** Fastify logger options (default: silent). */
  logger?: AppOptions['logger'];
  /** False: every /_access request through Fastify, none through the node:http front. */
  accessFront?: boolean;
  /** False: ordinary /_access requests through the node:http front, none through the raw-socket front. */
  rawFront?: boolean;
}

/** Starts a listening server on a fresh database. Close it in afterAll/afterEach. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const config: Config = {
    ...loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', AUTH_FAILURE_LIMIT: '0' }),
    ...options.config,
  };
  const store = openStore(database.url, { poolMax: 20 });
  await migrate(store);
  const clock = new FakeClock(options.now ?? testEpoch);
  const metrics = options.metrics ? new Metrics(store, clock) : undefined;
  const services: Services = { store, clock, random: options.random ?? cryptoRandom, config, metrics };
  const jobs = options.jobs
    ? new JobRunner(services, createMailTransport(config), { intervalMs: options.jobIntervalMs ?? 0 })
    : undefined;
  const app = await buildApp(services, {
    logger: options.logger ?? (options.logStream ? undefined : false),
    logStream: options.logStream,
    mail: jobs,
    jobs,
    accessFront: options.accessFront,
    rawFront: options.rawFront,
  });
  // As serve() does: a burst of 1,000 connections must not overflow the accept queue.
  const url = await app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  config.publicUrl = options.config?.publicUrl ?? url;

  const addCustomer = async (input: { name?: string; timeZone?: string; did?: string } = {}) => {
    const { customer, key } = await createCustomer(services, {
      name: input.name ?? 'Test customer',
      timeZone: input.timeZone,
      did: input.did,
    });
    return { customer: customer.uid, key };
  };
  const credentials =
    options.credentials ?? (await addCustomer({ timeZone: options.timeZone, did: options.did ?? '+1 555 0100' }));

  async function send(
    fn: string,
    params: Record<string, string | number | boolean>,
    type: string,
    options: CallOptions,
  ) {
    const method = options.method ?? (fn.startsWith('get') ? 'GET' : 'POST');
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...(options.as ?? credentials), type, ...params })) body.set(k, String(v));
    const target = `${url}/_access/${fn}`;
    const response =
      method === 'GET' ? await fetch(`${target}?${body.toString()}`) : await fetch(target, { method: 'POST', body });
    return response;
  }

  return {
    url,
    app,
    services,
    clock,
    database,
    credentials,
    jobs,
    async call(fn, params = {}, options = {}) {
      const response = await send(fn, params, 'json', options);
      if (response.status !== 200) throw new Error(`HTTP ${response.status} from ${fn}`);
      return (await response.json()) as Envelope;
    },
    async callXml(fn, params = {}, options = {}) {
      const response = await send(fn, params, 'xml', options);
      return response.text();
    },
    addCustomer,
    async close() {
      await app.close();
      await jobs?.stop();
      await store.close();
      if (!options.database) await database.drop();
    },
  };
}

const xmlParser = new XMLParser({ parseTagValue: false, ignoreDeclaration: true, isArray: () => false });

/** Parses an XML envelope into plain objects (every leaf stays text). */
export function parseXml(text: string): any {
  return xmlParser.parse(text);
}

/** Creates a reservationless conference and returns its UID. */
export async function createConference(server: TestServer, params: Record<string, string> = {}): Promise<string> {
  const answer = await server.call('createConferenceReservationless', { name: 'Test conference', ...params });
  if (answer.code !== 0) throw new Error(`createConferenceReservationless failed: ${answer.message}`);
  return answer.value.UID as string;
}
