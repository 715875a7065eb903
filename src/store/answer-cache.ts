/**
 * The read cache's memory: answers by key, each tagged with the scopes it
 * depends on (a customer's UID, a conference's UID, an object's UID), so a
 * change to one object drops only the answers that read it. Bounded by count
 * and by an estimate of size; answers not read since eviction last passed
 * them go first (a second-chance LRU), never the whole cache at once. Exactness is the caller's (`SqliteExecutor`): it
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
  readonly key: string;
  readonly value: unknown;
  readonly scopes: readonly string[];
  /** The estimate given to `set`, plus the bytes of the renderings kept with it. */
  size: number;
  /** The presented answer whose renderings may be kept with this entry (see `keepRendering`). */
  readonly answer: object | undefined;
  /** Rendered bytes of `answer`, by variant (e.g. an envelope format): dropped with the entry. */
  renderings: Map<string, Buffer> | undefined;
  /** Read since eviction last passed it (second-chance LRU). */
  used: boolean;
}

/** Counters for the benchmark and tests. */
export interface AnswerCacheStats {
  /** Answers dropped because a scope they read changed. */
  dropped: number;
  /** Answers evicted to stay within the limits. */
  evicted: number;
  /** Times the whole cache was dropped (the change log could not say what changed). */
  cleared: number;
  /** Renderings served again from an entry instead of rendered (`rendering`). */
  reused: number;
}

export class AnswerCache {
  /** In insertion order, read entries moved to the end when eviction reaches them (second-chance LRU). */
  private readonly entries = new Map<string, Entry>();
  private readonly byScope = new Map<string, Set<string>>();
  /** The entry holding each presented answer, by the answer object itself (identity, not equality). */
  private readonly byAnswer = new WeakMap<object, Entry>();
  private bytes = 0;
  readonly stats: AnswerCacheStats = { dropped: 0, evicted: 0, cleared: 0, reused: 0 };

  constructor(private readonly limits: CacheLimits = defaultCacheLimits) {}

  /** How many answers are held, and their estimated bytes. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** The answer for `key`, marked as used since its last pass through eviction; undefined when not held. */
  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // A flag instead of moving it in the Map on every hit: eviction gives a used entry a second chance.
    entry.used = true;
    return entry.value;
  }

  /**
   * Keeps `value` (never undefined) until one of `scopes` changes or it is
   * the least recently used over a limit. `answer`, a deep-frozen object
   * inside `value` that callers are handed as it is, may then carry
   * renderings (`keepRendering`) for as long as this entry is held.
   */
  set(key: string, value: unknown, scopes: readonly string[], size: number, answer?: object): void {
    this.delete(key);
    // One answer may take a sixteenth of the budget: a huge one would evict everything else.
    if (size > this.limits.bytes / 16) return;
    const entry: Entry = { key, value, scopes, size, answer, renderings: undefined, used: false };
    this.entries.set(key, entry);
    if (answer !== undefined) this.byAnswer.set(answer, entry);
    this.bytes += size;
    for (const scope of scopes) {
      let keys = this.byScope.get(scope);
      if (!keys) this.byScope.set(scope, (keys = new Set()));
      keys.add(key);
    }
    this.evictOverLimits();
  }

  /**
   * Evicts in use order: the oldest entry goes unless it was read since it
   * was last looked at here, in which case it moves to the end (once; the
   * next pass evicts it if it was not read again).
   */
  private evictOverLimits(): void {
    while (this.entries.size > this.limits.entries || this.bytes > this.limits.bytes) {
      const oldest = this.entries.values().next().value!;
      if (oldest.used) {
        oldest.used = false;
        this.entries.delete(oldest.key);
        this.entries.set(oldest.key, oldest);
        continue;
      }
      this.delete(oldest.key);
      this.stats.evicted++;
    }
  }

  /**
   * The bytes kept for `answer` under `variant`, while the entry holding that
   * very object is still held; undefined otherwise. Since the answer is
   * frozen and the bytes are a function of it, they are exactly as true as
   * the answer: dropped with it (a scope changed, evicted, replaced because
   * its `until` passed), never reused for another object.
   */
  rendering(answer: object, variant: string): Buffer | undefined {
    const entry = this.byAnswer.get(answer);
    if (entry === undefined || this.entries.get(entry.key) !== entry) return undefined;
    const bytes = entry.renderings?.get(variant);
    if (bytes !== undefined) this.stats.reused++;
    return bytes;
  }

  /** Whether `answer` is the very object a held entry was given as its answer. */
  holds(answer: object): boolean {
    const entry = this.byAnswer.get(answer);
    return entry !== undefined && this.entries.get(entry.key) === entry;
  }

  /**
   * Keeps `bytes` (a rendering of `answer` that depends on nothing else but
   * `variant`) with the entry holding `answer`, counted in the memory bound;
   * nothing when no held entry has that object (then it is not reused).
   */
  keepRendering(answer: object, variant: string, bytes: Buffer): void {
    const entry = this.byAnswer.get(answer);
    if (entry === undefined || this.entries.get(entry.key) !== entry) return;
    if (entry.size + bytes.length > this.limits.bytes / 16 || entry.renderings?.has(variant)) return;
    (entry.renderings ??= new Map()).set(variant, bytes);
    entry.size += bytes.length;
    this.bytes += bytes.length;
    this.evictOverLimits();
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
    // byAnswer needs no clearing: an entry no longer in `entries` is never matched.
    this.entries.clear();
    this.byScope.clear();
    this.bytes = 0;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.size;
    if (entry.answer !== undefined && this.byAnswer.get(entry.answer) === entry) this.byAnswer.delete(entry.answer);
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
  if (Array.isArray(value)) return estimateArraySize(value);
  let size = 32;
  for (const key in value) size += 16 + estimateSize((value as Record<string, unknown>)[key]);
  return size;
}

/**
 * `estimateSize` of an array, by index and with its strings counted in place:
 * a conference's 2,000 person UIDs through the array's iterator and a call a
 * UID cost a tenth of that conference's miss.
 */
function estimateArraySize(items: readonly unknown[]): number {
  let size = 32;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    size += typeof item === 'string' ? 24 + item.length * 2 : 8 + estimateSize(item);
  }
  return size;
}
