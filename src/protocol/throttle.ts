/**
 * Throttles: after `limit` hits of one key within a window (failed
 * authentications from an address, DESIGN.md; registrations; wrong PINs),
 * further attempts are refused until the window is over.
 */
import type { Services } from '../context.js';
import { addressThrottleKey } from '../domain/ip-address.js';
import type { MaybePromise } from '../maybe-promise.js';
import type { ThrottleTarget } from '../store/request-read.repository.js';
import { hitThrottle, pruneThrottles, readThrottle, type ThrottleWindow } from '../store/throttle.repository.js';

/** The in-memory counter (per process): what SQLite uses, and the building block of tests. */
export class FailureThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number,
    private readonly windowMs = 60_000,
    private readonly maxTracked = 100_000,
  ) {}

  /** Seconds until `address` may try again, or 0 when it may try now. */
  retryAfter(address: string): number {
    if (this.limit === 0) return 0;
    const entry = this.failures.get(address);
    if (!entry) return 0;
    const elapsed = this.now() - entry.since;
    if (elapsed >= this.windowMs) {
      this.failures.delete(address);
      return 0;
    }
    return entry.count >= this.limit ? Math.ceil((this.windowMs - elapsed) / 1000) : 0;
  }

  recordFailure(address: string): void {
    if (this.limit === 0) return;
    const now = this.now();
    const entry = this.failures.get(address);
    if (entry && now - entry.since < this.windowMs) {
      entry.count++;
      return;
    }
    // Bounded memory: under a flood of addresses, forget the oldest entries.
    if (this.failures.size >= this.maxTracked) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.delete(address);
    this.failures.set(address, { count: 1, since: now });
  }
}

/**
 * A throttle any part of Baton can call (the API's key failures, the
 * registration limit, the bridge's wrong PINs, a sign-in form): `hit` counts
 * an attempt, `retryAfter` says how long a key must wait. On PostgreSQL the
 * counts live in the database, so N processes together allow the limit once,
 * not N times; on SQLite they stay in memory, relayed between the workers of
 * a cluster (installThrottleRelay) to the same end.
 */
export interface Throttle {
  /** Seconds until `key` may try again, or 0 when it may try now (in memory: at once, no promise). */
  retryAfter(key: string): MaybePromise<number>;
  /** True while `key` is refused. */
  isBlocked(key: string): Promise<boolean>;
  /** Counts one attempt (or failure) of `key` (in memory: at once, no promise). */
  hit(key: string): MaybePromise<void>;
  /**
   * PostgreSQL: the counter row `retryAfter(key)` reads, so that a caller can
   * read it in its own statement (undefined when the throttle is off); with
   * `retryAfterWindow` for what it means. Absent in memory.
   */
  windowOf?(key: string): ThrottleTarget | undefined;
  /** The wait a window read through `windowOf` means (as `retryAfter` answers). */
  retryAfterWindow?(window: ThrottleWindow | undefined): number;
}

export interface ThrottleOptions {
  /** Attempts allowed per window; 0 turns the throttle off. */
  limit: number;
  /** The window, opened by a key's first hit. Default one minute. */
  windowMs?: number;
  /** Keys are client addresses: an IPv6 address counts for its /64 (addressThrottleKey). */
  addresses?: boolean;
}

/** Keys are client input (a caller number, an address): bounded before they are stored. */
const maxKeyLength = 200;

/** How often (in hits) a process deletes stale windows. */
const pruneEvery = 500;

/** What a key is counted under: itself, or an address's network. */
type KeyOf = (key: string) => string;
const asItIs: KeyOf = (key) => key;

/**
 * A hit counted by one worker of a cluster (WORKERS on SQLite, where the counts live in each
 * process's memory), told to the others through the primary, so that N workers together allow a
 * limit once, not N times: the primary hands connections out in turn, and an attacker opening a
 * connection per attempt would otherwise get `limit` tries from every worker.
 */
export interface ThrottleHitMessage {
  baton: 'throttle';
  scope: string;
  key: string;
}

export function isThrottleMessage(message: unknown): message is ThrottleHitMessage {
  return (message as { baton?: unknown } | null)?.baton === 'throttle';
}

/** A worker's channel to the primary (`process` in a cluster worker). */
export interface ThrottleRelayChannel {
  send(message: ThrottleHitMessage, callback: (error: Error | null) => void): boolean;
}

/** Set in a cluster worker by installThrottleRelay; undefined in a lone process. */
let relayChannel: ThrottleRelayChannel | undefined;
/** The in-memory throttles of this worker by scope, which the other workers' hits count in. */
const relayedThrottles = new Map<string, MemoryThrottle[]>();

/**
 * Makes this process's in-memory throttles (made after this call) tell their hits to the other
 * workers through `channel`, and count theirs: call `receiveThrottleMessage` with what the
 * channel brings. A worker of `baton serve` with WORKERS > 1 on SQLite.
 */
export function installThrottleRelay(channel: ThrottleRelayChannel): void {
  relayChannel = channel;
}

/** Counts another worker's hit (a ThrottleHitMessage); false for any other message. */
export function receiveThrottleMessage(message: unknown): boolean {
  if (!isThrottleMessage(message)) return false;
  for (const throttle of relayedThrottles.get(message.scope) ?? []) throttle.countRemoteHit(message.key);
  return true;
}

class MemoryThrottle implements Throttle {
  private readonly counter: FailureThrottle;
  private readonly relay: ThrottleRelayChannel | undefined;
  constructor(
    private readonly scope: string,
    limit: number,
    now: () => number,
    windowMs: number,
    private readonly keyOf: KeyOf,
  ) {
    this.counter = new FailureThrottle(limit, now, windowMs);
    this.relay = limit === 0 ? undefined : relayChannel;
    if (this.relay) relayedThrottles.set(scope, [...(relayedThrottles.get(scope) ?? []), this]);
  }
  retryAfter(key: string): number {
    return this.counter.retryAfter(this.keyOf(key));
  }
  async isBlocked(key: string): Promise<boolean> {
    return this.counter.retryAfter(this.keyOf(key)) > 0;
  }
  hit(key: string): void {
    const counted = this.keyOf(key);
    this.counter.recordFailure(counted);
    if (this.relay) {
      try {
        // A closed channel (the primary is gone, the worker is leaving) only loses the relay.
        this.relay.send({ baton: 'throttle', scope: this.scope, key: counted }, () => undefined);
      } catch {
        // As above.
      }
    }
  }
  /** A hit another worker counted (already reduced by keyOf). */
  countRemoteHit(key: string): void {
    this.counter.recordFailure(key);
  }
}

class SharedThrottle implements Throttle {
  private hits = 0;
  constructor(
    private readonly services: Services,
    private readonly scope: string,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly keyOf: KeyOf,
  ) {}
  async retryAfter(key: string): Promise<number> {
    if (this.limit === 0) return 0;
    return this.retryAfterWindow(
      await readThrottle(this.services.store.db, this.scope, this.keyOf(key).slice(0, maxKeyLength)),
    );
  }
  windowOf(key: string): ThrottleTarget | undefined {
    return this.limit === 0 ? undefined : { scope: this.scope, key: this.keyOf(key).slice(0, maxKeyLength) };
  }
  retryAfterWindow(window: ThrottleWindow | undefined): number {
    if (this.limit === 0 || !window) return 0;
    const left = window.windowStart + this.windowMs - this.services.clock.now();
    return left > 0 && window.hits >= this.limit ? Math.ceil(left / 1000) : 0;
  }
  async isBlocked(key: string): Promise<boolean> {
    return (await this.retryAfter(key)) > 0;
  }
  async hit(key: string): Promise<void> {
    if (this.limit === 0) return;
    const now = this.services.clock.now();
    await hitThrottle(this.services.store.db, this.scope, this.keyOf(key).slice(0, maxKeyLength), now, this.windowMs);
    if (++this.hits % pruneEvery === 0) {
      // Housekeeping only: a failed prune is retried at the next round.
      await pruneThrottles(this.services.store.db, now).catch(() => undefined);
    }
  }
}

/**
 * A throttle named `scope` (one name per purpose: its counts are its own),
 * shared across processes on PostgreSQL, in memory on SQLite.
 */
export function createThrottle(services: Services, scope: string, options: ThrottleOptions): Throttle {
  const windowMs = options.windowMs ?? 60_000;
  const keyOf = options.addresses ? addressThrottleKey : asItIs;
  return services.store.dialect === 'postgres'
    ? new SharedThrottle(services, scope, options.limit, windowMs, keyOf)
    : new MemoryThrottle(scope, options.limit, () => services.clock.now(), windowMs, keyOf);
}
