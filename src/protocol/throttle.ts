/**
 * Throttles repeated authentication failures from one address (DESIGN.md):
 * after `limit` failures within a minute, further attempts from that address
 * are refused until the minute is over. In memory, per process.
 */
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
