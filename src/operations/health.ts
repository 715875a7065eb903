/**
 * /healthz and /readyz. Alive means the process answers; ready means it can
 * do its work: the database answers, its migrations are the ones this Baton
 * knows, and — where this process runs the jobs — the job runner has finished
 * a pass recently. A load balancer takes a process that is not ready out of
 * rotation; the JSON says why.
 */
import type { Services } from '../context.js';
import type { JobHeartbeat } from '../jobs/runner.js';
import { migrationNames } from '../store/database.js';
import { appliedMigrationNames, pingDatabase } from '../store/operations.repository.js';
import { batonVersion } from './version.js';

/** What /healthz answers. */
export interface Liveness {
  status: 'ok';
  version: string;
  uptimeSeconds: number;
}

/** What /readyz answers; `reasons` is empty when ready. */
export interface Readiness {
  status: 'ready' | 'not ready';
  reasons: string[];
  checks: { database: string; migrations: string; jobs: string };
}

/** A probe that hangs is as bad as one that fails; cap the database checks at this. */
const probeTimeoutMs = 3000;

export function liveness(): Liveness {
  return { status: 'ok', version: batonVersion, uptimeSeconds: Math.floor(process.uptime()) };
}

/**
 * How long a runner may go without a finished pass before it counts as dead:
 * three intervals and a minute, so one slow pass (a sluggish SMTP server) does
 * not flap the probe.
 */
export function heartbeatLimitMs(intervalMs: number): number {
  return 3 * intervalMs + 60_000;
}

/** Checks readiness; never throws. */
export async function readiness(services: Services, jobs?: { heartbeat(): JobHeartbeat }): Promise<Readiness> {
  const reasons: string[] = [];
  const checks = { database: 'ok', migrations: 'ok', jobs: 'ok' };

  let applied: string[] | null = null;
  try {
    await withTimeout(pingDatabase(services.store.db));
    applied = await withTimeout(appliedMigrationNames(services.store.db));
  } catch {
    checks.database = 'unreachable';
    checks.migrations = 'unknown';
    reasons.push('database unreachable');
  }
  if (applied !== null) {
    const known = migrationNames();
    const pending = known.filter((n) => !applied.includes(n));
    const unknown = applied.filter((n) => !known.includes(n));
    if (unknown.length > 0) {
      checks.migrations = 'newer';
      reasons.push(`database migrated by a newer Baton (${unknown.join(', ')})`);
    } else if (pending.length > 0) {
      checks.migrations = 'pending';
      reasons.push(`migrations pending: ${pending.join(', ')}`);
    }
  }

  const beat = jobs?.heartbeat();
  if (!beat || beat.intervalMs <= 0) {
    checks.jobs = 'off';
  } else if (!beat.running) {
    checks.jobs = 'stopped';
    reasons.push('job runner stopped');
  } else {
    const last = beat.lastPassAt ?? beat.startedAt ?? 0;
    const age = services.clock.now() - last;
    if (age > heartbeatLimitMs(beat.intervalMs)) {
      checks.jobs = 'stale';
      reasons.push(
        `job runner heartbeat stale: last pass ${Math.round(age / 1000)} s ago, due every ${Math.round(beat.intervalMs / 1000)} s`,
      );
    }
  }
  return { status: reasons.length === 0 ? 'ready' : 'not ready', reasons, checks };
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), probeTimeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
