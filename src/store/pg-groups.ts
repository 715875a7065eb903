/**
 * Per-process grouping of PostgreSQL round trips by key (a customer): the
 * requests of one key that arrive while its previous group is in flight, or
 * in the same event-loop turn, go to the server together as one statement.
 * At most one group per key is in flight, so the busier the key, the larger
 * its groups and the fewer its round trips (and, for writes, its COMMITs and
 * WAL flushes); a key with one request at a time pays only the wait for the
 * end of the turn (setImmediate).
 */

import pg from 'pg';

/** One queued request and how to answer it. */
interface Pending<I, O> {
  item: I;
  resolve: (value: O | Promise<O>) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups of `I` per key, each run by `run`, which answers each item in
 * order (an `O`, or a promise of one: an item answered alone), or throws:
 * every item of the group then fails with that error.
 */
export class KeyedGroups<I, O> {
  private readonly queues = new Map<string, Pending<I, O>[]>();

  /**
   * @param run sends one group (at most `max` items) and answers each item
   * @param max the most items one group carries (bounds its parameters and how long it holds its locks)
   */
  constructor(
    private readonly run: (key: string, items: I[]) => Promise<(O | Promise<O>)[]>,
    private readonly max: number,
  ) {}

  /** Queues `item` under `key`; its answer once its group is back. */
  add(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue) {
        queue.push({ item, resolve, reject });
        return;
      }
      // No queue: nothing of this key is in flight; this turn's requests go together.
      this.queues.set(key, [{ item, resolve, reject }]);
      setImmediate(() => this.flush(key));
    });
  }

  /** Sends the key's next group; once it is back, the next. No waiting request: the key is idle again. */
  private flush(key: string): void {
    const queue = this.queues.get(key)!;
    const group = queue.splice(0, this.max);
    if (group.length === 0) {
      this.queues.delete(key);
      return;
    }
    let running: Promise<(O | Promise<O>)[]>;
    try {
      running = this.run(
        key,
        group.map((p) => p.item),
      );
    } catch (error) {
      running = Promise.reject(error);
    }
    void running
      .then(
        (answers) => group.forEach((p, i) => p.resolve(answers[i] as O | Promise<O>)),
        (error: unknown) => group.forEach((p) => p.reject(error)),
      )
      .finally(() => this.flush(key));
  }
}

/**
 * Runs a group's statement; when the server refuses it (so it wrote and
 * answered nothing), runs each item alone, so an item that fails fails by
 * itself and only it. Any other failure (a lost connection) is the group's.
 */
export async function aloneIfRefused<I, O>(
  group: () => Promise<O[]>,
  items: readonly I[],
  alone: (item: I) => Promise<O>,
): Promise<(O | Promise<O>)[]> {
  try {
    return await group();
  } catch (error) {
    if (!(error instanceof pg.DatabaseError) || items.length === 1) throw error;
  }
  return items.map(alone);
}
