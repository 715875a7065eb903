/**
 * Per-process grouping of PostgreSQL round trips by key: the requests of one
 * key that arrive in the same event-loop turn, or while the key's batches
 * are out, go to the server together as one statement. Two parameters make
 * the policy: `max`, the most items one statement carries, and `inFlight`,
 * how many statements of one key may be out at once — the first goes at the
 * end of the turn when none is out, each further one only when it is full.
 * So the busier the key, the larger its groups and the fewer its round trips
 * (and, for writes, its COMMITs and WAL flushes); a key with one request at
 * a time pays only the wait for the end of the turn (setImmediate).
 *
 * Its users: a customer's registrations, versioned conference reads and
 * idempotency claims (one group of a customer out at a time: a second
 * statement could only wait on the customer's locks inside the server), and
 * every request's up-front read (request-read.repository.ts: one key, up to
 * 3 full batches of 32 out).
 */

import pg from 'pg';

/** One queued request and how to answer it. */
interface Pending<I, O> {
  item: I;
  resolve: (value: O | Promise<O>) => void;
  reject: (error: unknown) => void;
}

/** One key's queue and how many of its statements are out. */
interface KeyState<I, O> {
  waiting: Pending<I, O>[];
  inFlight: number;
  /** A send at the end of this turn is asked for. */
  scheduled: boolean;
}

/**
 * Groups of `I` per key, each run by `run`, which answers each item in
 * order (an `O`, or a promise of one: an item answered alone), or throws:
 * every item of the group then fails with that error.
 */
export class KeyedGroups<I, O> {
  private readonly keys = new Map<string, KeyState<I, O>>();

  /**
   * @param run sends one group (at most `max` items) and answers each item
   * @param max the most items one group carries (bounds its parameters and how long it holds its locks)
   * @param inFlight how many groups of one key may be out at once; beyond the first, only full ones go
   */
  constructor(
    private readonly run: (key: string, items: I[]) => Promise<(O | Promise<O>)[]>,
    private readonly max: number,
    private readonly inFlight = 1,
  ) {}

  /** Queues `item` under `key`; its answer once its group is back. */
  add(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      let state = this.keys.get(key);
      if (!state) this.keys.set(key, (state = { waiting: [], inFlight: 0, scheduled: false }));
      state.waiting.push({ item, resolve, reject });
      this.schedule(key, state);
    });
  }

  /** Sends at the end of this turn, when a group of the key may go out. */
  private schedule(key: string, state: KeyState<I, O>): void {
    if (state.scheduled || !this.maySend(state)) return;
    state.scheduled = true;
    setImmediate(() => {
      state.scheduled = false;
      while (this.maySend(state)) this.send(key, state, state.waiting.splice(0, this.max));
    });
  }

  /** A group may go when none of the key is out, or when it is full and fewer than `inFlight` are out. */
  private maySend(state: KeyState<I, O>): boolean {
    const waiting = state.waiting.length;
    if (waiting === 0) return false;
    return state.inFlight === 0 || (waiting >= this.max && state.inFlight < this.inFlight);
  }

  private send(key: string, state: KeyState<I, O>, group: Pending<I, O>[]): void {
    state.inFlight++;
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
      .finally(() => {
        state.inFlight--;
        // Nothing out and nothing waiting: the key is idle again.
        if (state.inFlight === 0 && state.waiting.length === 0 && !state.scheduled) this.keys.delete(key);
        else this.schedule(key, state);
      });
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
