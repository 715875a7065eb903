/**
 * Baton's Prometheus metrics (prom-client). What a process counts itself —
 * calls, latency, throttle refusals, job runs, mail sent — lives in one
 * registry per application; what the database knows for the whole instance —
 * the mail backlog, live calls — is read at scrape time, so it is never stale
 * and one scrape of any process tells it.
 *
 * With several worker processes (node:cluster) each worker keeps its own
 * registry and the primary answers the scrape with prom-client's
 * AggregatorRegistry: counters and histograms are summed, database-read
 * gauges take the first worker's answer (they are the same everywhere), job
 * timestamps the latest. The `aggregator` of each metric below says which.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { Store } from '../store/database.js';
import { liveCallCounts, mailBacklog, pingDatabase } from '../store/operations.repository.js';

/** The throttles whose refusals are counted. */
export type ThrottleName =
  | 'api-auth'
  | 'bridge-auth'
  | 'bridge-pin-ani'
  | 'bridge-pin-did'
  | 'registration'
  | 'admin-sign-in';
/** The jobs of the job runner. */
export type JobName = 'reminders' | 'invitation-updates' | 'mail-delivery';

/** Latency buckets in seconds: Baton's calls take a millisecond or two; the tail is what matters. */
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Incrementable {
  inc(value?: number): void;
}
interface Observable {
  observe(value: number): void;
}

/**
 * A figure read from the database, or undefined when the database does not
 * answer: the scrape still shows everything else (and /readyz tells why).
 */
async function fromDatabase<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

/** Something that answers a scrape: one process's metrics, or a cluster's aggregate. */
export interface MetricsSource {
  exposition(): Promise<string>;
  readonly contentType: string;
}

/** One application's metrics. Create one per process; `undefined` where metrics are off. */
export class Metrics implements MetricsSource {
  readonly registry = new Registry();
  private readonly apiRequests: Counter<'function' | 'format' | 'code'>;
  private readonly apiDuration: Histogram<'function'>;
  private readonly httpRequests: Counter<'route' | 'status'>;
  private readonly throttleRefusals: Counter<'throttle'>;
  private readonly jobLastRun: Gauge<'job'>;
  private readonly mailSent: Counter;
  private readonly mailFailures: Counter;
  private readonly remindersSent: Counter;
  // Label lookups hash their labels; the hot path reuses each series' child instead.
  private readonly apiChildren = new Map<string, Incrementable>();
  private readonly durationChildren = new Map<string, Observable>();

  constructor(store: Store, clock: Clock) {
    const registers = [this.registry];
    this.apiRequests = new Counter({
      name: 'baton_api_requests_total',
      help: 'Calls of /_access functions, by function, envelope format and result code',
      labelNames: ['function', 'format', 'code'],
      registers,
    });
    this.apiDuration = new Histogram({
      name: 'baton_api_request_duration_seconds',
      help: 'Time from request to answer of /_access functions, by function',
      labelNames: ['function'],
      buckets: latencyBuckets,
      registers,
    });
    this.httpRequests = new Counter({
      name: 'baton_http_requests_total',
      help: 'Requests outside /_access (pages, bridge, probes), by route pattern and HTTP status',
      labelNames: ['route', 'status'],
      registers,
    });
    this.throttleRefusals = new Counter({
      name: 'baton_throttle_refusals_total',
      help: 'Attempts refused by a failure throttle (api-auth, bridge-auth, bridge-pin-ani, bridge-pin-did, registration, admin-sign-in)',
      labelNames: ['throttle'],
      registers,
    });
    this.jobLastRun = new Gauge({
      name: 'baton_job_last_run_timestamp_seconds',
      help: 'When each job of the job runner last finished a pass (Unix time)',
      labelNames: ['job'],
      aggregator: 'max',
      registers,
    });
    this.mailSent = new Counter({ name: 'baton_mail_sent_total', help: 'Messages delivered', registers });
    this.mailFailures = new Counter({
      name: 'baton_mail_failed_attempts_total',
      help: 'Delivery attempts that failed (the message stays queued for a retry)',
      registers,
    });
    this.remindersSent = new Counter({
      name: 'baton_reminders_sent_total',
      help: 'Reminder messages delivered (24 h and 2 h)',
      registers,
    });

    // Read from the database at scrape time: the same for every process of the instance.
    new Gauge({
      name: 'baton_mail_queue_messages',
      help: 'Messages waiting in the mail queue, by state (queued, sending)',
      labelNames: ['state'],
      aggregator: 'first',
      registers,
      async collect() {
        this.reset();
        for (const b of (await fromDatabase(() => mailBacklog(store.db))) ?? []) this.set({ state: b.status }, b.count);
      },
    });
    new Gauge({
      name: 'baton_mail_queue_oldest_age_seconds',
      help: 'Age of the oldest message waiting in the mail queue, by state; 0 when none waits',
      labelNames: ['state'],
      aggregator: 'first',
      registers,
      async collect() {
        this.reset();
        const now = clock.now();
        for (const b of (await fromDatabase(() => mailBacklog(store.db))) ?? []) {
          this.set({ state: b.status }, b.oldestCreatedAt === null ? 0 : Math.max(0, (now - b.oldestCreatedAt) / 1000));
        }
      },
    });
    new Gauge({
      name: 'baton_database_up',
      help: 'Whether the database answered this scrape (1) or not (0); the figures read from it are missing or 0 then',
      aggregator: 'min',
      registers,
      async collect() {
        this.set((await fromDatabase(() => pingDatabase(store.db).then(() => true))) ? 1 : 0);
      },
    });
    // Each gauge runs its own query: the registry collects them all at once.
    new Gauge({
      name: 'baton_live_calls',
      help: 'Calls live now on the telephony bridge',
      aggregator: 'first',
      registers,
      async collect() {
        this.reset();
        const live = await fromDatabase(() => liveCallCounts(store.db));
        if (live) this.set(live.calls);
      },
    });
    new Gauge({
      name: 'baton_live_callers',
      help: 'Callers on live calls now',
      aggregator: 'first',
      registers,
      async collect() {
        this.reset();
        const live = await fromDatabase(() => liveCallCounts(store.db));
        if (live) this.set(live.callers);
      },
    });

    const pool = store.pool;
    if (pool) {
      new Gauge({
        name: 'baton_db_pool_connections',
        help: 'PostgreSQL connections of this process, by state (in_use, idle)',
        labelNames: ['state'],
        registers,
        collect() {
          this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
          this.set({ state: 'idle' }, pool.idleCount);
        },
      });
      new Gauge({
        name: 'baton_db_pool_waiting_requests',
        help: 'Queries waiting for a free PostgreSQL connection in this process',
        registers,
        collect() {
          this.set(pool.waitingCount);
        },
      });
    }
    // A worker answers the primary's scrape with this registry.
    if (cluster.isWorker) {
      AggregatorRegistry.setRegistries([this.registry]);
      // Constructing one is what makes prom-client answer the primary's requests in a worker.
      new AggregatorRegistry();
    }
  }

  /** One /_access call: its function (a known name or "unknown"), format, code and duration. */
  recordApiCall(fn: string, format: string, code: number, seconds: number): void {
    const key = `${fn}\u0000${format}\u0000${code}`;
    let counter = this.apiChildren.get(key);
    if (!counter) {
      counter = this.apiRequests.labels(fn, format, String(code));
      this.apiChildren.set(key, counter);
    }
    counter.inc();
    let histogram = this.durationChildren.get(fn);
    if (!histogram) {
      histogram = this.apiDuration.labels(fn);
      this.durationChildren.set(fn, histogram);
    }
    histogram.observe(seconds);
  }

  /** A request outside /_access, by route pattern (never the raw URL: it may carry tokens). */
  recordHttpRequest(route: string, status: number): void {
    this.httpRequests.inc({ route, status: String(status) });
  }

  /** An attempt a throttle refused. */
  recordThrottleRefusal(throttle: ThrottleName): void {
    this.throttleRefusals.inc({ throttle });
  }

  /** A job finished a pass at `at` (ms). */
  recordJobRun(job: JobName, at: number): void {
    this.jobLastRun.set({ job }, at / 1000);
  }

  /** The outcome of a delivery pass. */
  recordMailDelivery(report: { sent: number; failed: number; remindersSent: number }): void {
    if (report.sent > 0) this.mailSent.inc(report.sent);
    if (report.failed > 0) this.mailFailures.inc(report.failed);
    if (report.remindersSent > 0) this.remindersSent.inc(report.remindersSent);
  }

  /** The Prometheus text exposition of every metric. */
  async exposition(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of `exposition()`. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * The primary process's view of its workers' metrics (node:cluster): asks each
 * worker for its registry and merges them by each metric's `aggregator`.
 */
export class ClusterMetrics implements MetricsSource {
  private readonly aggregator = new AggregatorRegistry();

  exposition(): Promise<string> {
    return this.aggregator.clusterMetrics();
  }

  get contentType(): string {
    return this.aggregator.contentType;
  }
}
