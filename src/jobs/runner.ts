/**
 * The job runner that `baton serve` starts: every JOB_INTERVAL_SECONDS it
 * sweeps reminders and calendar updates, delivers queued mail, strips the
 * bodies of mail older than MAIL_RETENTION_DAYS, then deletes idempotency
 * keys past their 24 h, ended site sessions and old change-log rows. Any
 * number of runners may share a database — every piece of work is claimed in
 * it. Passes of one runner never overlap. `runOnce(now)` is the whole job at
 * a chosen instant, for tests; `poke()` asks for a delivery pass at once
 * (after a self-registration queued its confirmation), and every commit that
 * appends events starts a webhook delivery pass.
 */
import type { Services } from '../context.js';
import { applyMailRetention, deliverDueMail, type DeliveryReport } from '../mail/queue.js';
import type { MailTransport } from '../mail/transport.js';
import { onEventsCommitted } from '../domain/events.js';
import { sweepInvitations } from './invitation-updates.js';
import { sweepReminders } from './reminders.js';
import { sweepExpiredIdempotencyKeys } from '../store/idempotency.repository.js';
import { pruneSessions } from '../store/user.repository.js';
import { pruneChangeLog } from '../store/change-log.repository.js';
import { deliverWebhooks, type WebhookReport } from './webhook-delivery.js';

export interface JobReport {
  reminders: number;
  invitationUpdates: number;
  mail: DeliveryReport;
  webhooks: WebhookReport;
  /** Finished messages whose bodies retention removed in this pass. */
  stripped: number;
  /** Idempotency keys past their 24 h, deleted. */
  expiredIdempotencyKeys: number;
  /** Site sessions that had ended (expired or revoked), deleted. */
  prunedSessions: number;
  /** Change-log rows (SQLite's cache invalidation) past the newest ones kept, deleted. */
  prunedChangeLog: number;
}

/** Where a runner reports failures of a pass (pino's shape). */
export interface JobLog {
  error(details: object, message: string): void;
  /** A failed attempt the runner retries itself (an SMTP server refusing a message). */
  warn(details: object, message: string): void;
}

/** Whether the runner is alive, for /readyz. Times are the services' clock, in ms. */
export interface JobHeartbeat {
  /** How often a pass is due; 0 when the runner never sweeps on its own. */
  readonly intervalMs: number;
  /** Started and not stopped. */
  readonly running: boolean;
  /** When start() was called, or null. */
  readonly startedAt: number | null;
  /** When the last pass finished without an error, or null. */
  readonly lastPassAt: number | null;
}

/** What the HTTP side needs of the runner. */
export interface MailPoke {
  /** Deliver queued mail soon, without waiting for the next interval. */
  poke(): void;
}

export class JobRunner implements MailPoke {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private deliveryPending = false;
  private stopped = false;
  private startedAt: number | null = null;
  private lastPassAt: number | null = null;
  /** Webhook passes run on their own chain: a slow receiver never holds up mail. */
  private webhookChain: Promise<unknown> = Promise.resolve();
  private webhookPending = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  /** Where failed passes are reported (the server sets its logger once the app exists). */
  log: JobLog | undefined;

  constructor(
    private readonly services: Services,
    private readonly transport: MailTransport,
    private readonly options: { intervalMs: number },
  ) {
    // Every commit that appended events wakes webhook delivery in this process.
    this.unsubscribe = onEventsCommitted(services.store, () => this.pokeWebhooks());
  }

  /** Sweeps and delivers everything due at `now`. Resolves when done; rejects on a database error. */
  runOnce(now: number = this.services.clock.now()): Promise<JobReport> {
    return this.serialise(async () => {
      const metrics = this.services.metrics;
      const reminders = await sweepReminders(this.services, now);
      metrics?.recordJobRun('reminders', this.services.clock.now());
      const invitationUpdates = await sweepInvitations(this.services, now);
      metrics?.recordJobRun('invitation-updates', this.services.clock.now());
      const mail = await this.deliver(now);
      const webhooks = await this.serialiseWebhooks(() => deliverWebhooks(this.services));
      const stripped = await applyMailRetention(this.services, now);
      const expiredIdempotencyKeys = await sweepExpiredIdempotencyKeys(this.services.store.db, now);
      const prunedSessions = await pruneSessions(this.services.store.db, now);
      const prunedChangeLog = await pruneChangeLog(this.services.store.db, this.services.store.dialect);
      this.lastPassAt = this.services.clock.now();
      return {
        reminders,
        invitationUpdates,
        mail,
        webhooks,
        stripped,
        expiredIdempotencyKeys,
        prunedSessions,
        prunedChangeLog,
      };
    });
  }

  /** Deliver pending webhook events soon (after a commit appended some). */
  pokeWebhooks(): void {
    if (this.stopped || this.webhookPending) return;
    this.webhookPending = true;
    this.serialiseWebhooks(async () => {
      this.webhookPending = false;
      return deliverWebhooks(this.services);
    }).catch((error: unknown) => this.log?.error({ err: error }, 'webhook delivery failed'));
  }

  poke(): void {
    if (this.stopped || this.deliveryPending) return;
    this.deliveryPending = true;
    this.serialise(async () => {
      this.deliveryPending = false;
      await this.deliver(this.services.clock.now());
    }).catch((error: unknown) => this.log?.error({ err: error }, 'mail delivery failed'));
  }

  /** Whether the runner is alive: for /readyz. */
  heartbeat(): JobHeartbeat {
    return {
      intervalMs: this.options.intervalMs,
      running: this.startedAt !== null && !this.stopped,
      startedAt: this.startedAt,
      lastPassAt: this.lastPassAt,
    };
  }

  /** Resolves when every pass asked for so far has finished. */
  async whenIdle(): Promise<void> {
    for (;;) {
      const current = this.chain;
      const webhooks = this.webhookChain;
      await Promise.all([current.catch(() => undefined), webhooks.catch(() => undefined)]);
      if (current === this.chain && webhooks === this.webhookChain) return;
    }
  }

  /** Runs a pass now and then every interval, until stop(). An interval of 0 runs nothing. */
  start(): void {
    if (this.options.intervalMs <= 0 || this.timer || this.stopped) return;
    this.startedAt = this.services.clock.now();
    const tick = () => {
      this.runOnce()
        .catch((error: unknown) => this.log?.error({ err: error }, 'scheduled jobs failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops the timer, lets the current pass finish, and closes the transport. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.whenIdle();
    this.transport.close();
  }

  private async deliver(now: number): Promise<DeliveryReport> {
    const report = await deliverDueMail(this.services, this.transport, now, 20, this.log);
    this.services.metrics?.recordMailDelivery(report);
    this.services.metrics?.recordJobRun('mail-delivery', this.services.clock.now());
    return report;
  }

  /** Runs a webhook pass after the previous one; schedules a pass for the earliest retry it set. */
  private serialiseWebhooks(work: () => Promise<WebhookReport>): Promise<WebhookReport> {
    const next = this.webhookChain
      .catch(() => undefined)
      .then(work)
      .then((report) => {
        if (report.nextAttemptAt !== null && !this.stopped && this.options.intervalMs > 0) {
          if (this.retryTimer) clearTimeout(this.retryTimer);
          const wait = Math.max(0, report.nextAttemptAt - this.services.clock.now());
          this.retryTimer = setTimeout(() => this.pokeWebhooks(), Math.min(wait, this.options.intervalMs) + 50);
          this.retryTimer.unref();
        }
        return report;
      });
    this.webhookChain = next;
    return next;
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.catch(() => undefined).then(work);
    this.chain = next;
    return next;
  }
}
