/**
 * The job runner that `baton serve` starts: every JOB_INTERVAL_SECONDS it
 * sweeps reminders and calendar updates, delivers queued mail, strips the
 * bodies of mail older than MAIL_RETENTION_DAYS, then deletes idempotency
 * keys past their 24 h. Any
 * number of runners may share a database — every piece of work is claimed in
 * it. Passes of one runner never overlap. `runOnce(now)` is the whole job at
 * a chosen instant, for tests; `poke()` asks for a delivery pass at once
 * (after a self-registration queued its confirmation).
 */
import type { Services } from '../context.js';
import { applyMailRetention, deliverDueMail, type DeliveryReport } from '../mail/queue.js';
import type { MailTransport } from '../mail/transport.js';
import { sweepInvitations } from './invitation-updates.js';
import { sweepReminders } from './reminders.js';
import { sweepExpiredIdempotencyKeys } from '../store/idempotency.repository.js';

export interface JobReport {
  reminders: number;
  invitationUpdates: number;
  mail: DeliveryReport;
  /** Finished messages whose bodies retention removed in this pass. */
  stripped: number;
  /** Idempotency keys past their 24 h, deleted. */
  expiredIdempotencyKeys: number;
}

/** Where a runner reports failures of a pass (pino's shape). */
export interface JobLog {
  error(details: object, message: string): void;
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
  /** Where failed passes are reported (the server sets its logger once the app exists). */
  log: JobLog | undefined;

  constructor(
    private readonly services: Services,
    private readonly transport: MailTransport,
    private readonly options: { intervalMs: number },
  ) {}

  /** Sweeps and delivers everything due at `now`. Resolves when done; rejects on a database error. */
  runOnce(now: number = this.services.clock.now()): Promise<JobReport> {
    return this.serialise(async () => {
      const reminders = await sweepReminders(this.services, now);
      const invitationUpdates = await sweepInvitations(this.services, now);
      const mail = await deliverDueMail(this.services, this.transport, now);
      const stripped = await applyMailRetention(this.services, now);
      const expiredIdempotencyKeys = await sweepExpiredIdempotencyKeys(this.services.store.db, now);
      return { reminders, invitationUpdates, mail, stripped, expiredIdempotencyKeys };
    });
  }

  poke(): void {
    if (this.stopped || this.deliveryPending) return;
    this.deliveryPending = true;
    this.serialise(async () => {
      this.deliveryPending = false;
      await deliverDueMail(this.services, this.transport, this.services.clock.now());
    }).catch((error: unknown) => this.log?.error({ err: error }, 'mail delivery failed'));
  }

  /** Resolves when every pass asked for so far has finished. */
  async whenIdle(): Promise<void> {
    for (;;) {
      const current = this.chain;
      await current.catch(() => undefined);
      if (current === this.chain) return;
    }
  }

  /** Runs a pass now and then every interval, until stop(). An interval of 0 runs nothing. */
  start(): void {
    if (this.options.intervalMs <= 0 || this.timer || this.stopped) return;
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
    if (this.timer) clearTimeout(this.timer);
    await this.whenIdle();
    this.transport.close();
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.catch(() => undefined).then(work);
    this.chain = next;
    return next;
  }
}
