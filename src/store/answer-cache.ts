/**
 * The read cache's memory: answers by key, each tagged with the scopes it
 * depends on (a customer's UID, a conference's UID, an object's UID), so a
 * change to one object drops only the answers that read it. Bounded by count
 * and by an estimate of size; the least recently used answers go first, never
 * the whole cache at once. Exactness is the caller's (`SqliteExecutor`): it
 * decides when a scope changed.
 */

/** How many answers, and how many estimated bytes, a process keeps. */
export interface CacheLimits {
  readonly entries: number;
  readonly bytes: number;
}

/** The default: a few thousand conferences' hot answers, far below a worker's memory budget. */
export const defaultCacheLimits: CacheLimits = { entries: 20_000, bytes: 32 * 1024 * 1024 };

interface Entry {
  readonly value: unknown;
  readonly scopes: readonly string[];
  readonly size: number;
}

/** Counters for the benchmark and tests. */
export interface AnswerCacheStats {
  /** Answers dropped because a scope they read changed. */
  dropped: number;
  /** Answers evicted to stay within the limits. */
  evicted: number;
  /** Times the whole cache was dropped (the change log could not say what changed). */
  cleared: number;
}

export class AnswerCache {
  /** In use order: the first entry is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  private readonly byScope = new Map<string, Set<string>>();
  private bytes = 0;
  readonly stats: AnswerCacheStats = { dropped: 0, evicted: 0, cleared: 0 };

  constructor(private readonly limits: CacheLimits = defaultCacheLimits) {}

  /** How many answers are held, and their estimated bytes. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** The answer for `key`, marked as just used; undefined when not held. */
  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // Moved to the end of the use order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` (never undefined) until one of `scopes` changes or it is the least recently used over a limit. */
  set(key: string, value: unknown, scopes: readonly string[], size: number): void {
    this.delete(key);
    // One answer may take a sixteenth of the budget: a huge one would evict everything else.
    if (size > this.limits.bytes / 16) return;
    this.entries.set(key, { value, scopes, size });
    this.bytes += size;
    for (const scope of scopes) {
      let keys = this.byScope.get(scope);
      if (!keys) this.byScope.set(scope, (keys = new Set()));
      keys.add(key);
    }
    while (this.entries.size > this.limits.entries || this.bytes > this.limits.bytes) {
      this.delete(this.entries.keys().next().value!);
      this.stats.evicted++;
    }
  }

  /** Drops every answer that depends on `scope`. */
  dropScope(scope: string): void {
    const keys = this.byScope.get(scope);
    if (!keys) return;
    for (const key of keys) {
      this.delete(key);
      this.stats.dropped++;
    }
  }

  /** Drops everything. */
  clear(): void {
    if (this.entries.size > 0) this.stats.cleared++;
    this.entries.clear();
    this.byScope.clear();
    this.bytes = 0;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.size;
    for (const scope of entry.scopes) {
      const keys = this.byScope.get(scope);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byScope.delete(scope);
    }
  }
}

/**
 * A rough size of rows (or any plain value) in bytes: strings at two bytes a
 * character, an object's and a field's overhead. Only to bound memory, so
 * close is enough.
 */
export function estimateSize(value: unknown): number {
  if (typeof value === 'string') return 16 + value.length * 2;
  if (value === null || typeof value !== 'object') return 8;
  if (ArrayBuffer.isView(value)) return 64 + value.byteLength;
  let size = 32;
  if (Array.isArray(value)) for (const item of value) size += 8 + estimateSize(item);
  else for (const key in value) size += 16 + estimateSize((value as Record<string, unknown>)[key]);
  return size;
}
