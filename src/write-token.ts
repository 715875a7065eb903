/**
 * The cluster's write token (SQLite with WORKERS > 1): every worker writes
 * its own commands through its own connection's group commit, and the
 * primary only says whose turn it is. A worker asks when its write group has
 * work; the primary grants the token to one worker at a time, in the order
 * they asked; the worker runs BEGIN IMMEDIATE … COMMIT, answers its
 * requests, and hands the token back. While it waits, its group keeps
 * gathering. So the workers never collide on the file's write lock (a
 * collision costs the loser a retry on a timer and its group that much
 * latency), and there is one grant per group, not a message per call.
 *
 * SQLite's own lock stays the safety net: a BEGIN that finds the lock taken
 * by a process outside the cluster (the CLI, a backup) is retried on a later
 * turn by the executor, token in hand. A worker that dies holding the token
 * has it taken back on its 'exit' (the dead connection's transaction was
 * never committed, so SQLite rolls it back, and nothing of it was
 * acknowledged).
 */
import type { WriteGate } from './store/sqlite-executor.js';

/** What a worker and the primary send each other about the token. */
export interface TokenMessage {
  baton: 'token';
  /**
   * ask: the worker's group has work; grant: the worker holds it now; return: the worker is done;
   * pass: the worker is done and another of its groups has work (a return and an ask in one message).
   */
  op: 'ask' | 'grant' | 'return' | 'pass';
}

/** True for a message about the write token. */
export function isTokenMessage(message: unknown): message is TokenMessage {
  return (message as { baton?: unknown } | null)?.baton === 'token';
}

/** One side of an IPC channel, as node:cluster gives it (a Worker in the primary, `process` in a worker). */
export interface TokenChannel {
  send(message: TokenMessage, callback: (error: Error | null) => void): boolean;
}

/**
 * The primary's side: the one token and the queue of workers waiting for
 * it. `receive` is given each token message a worker sends; `gone`, a
 * worker that exited (its turn, held or waited for, is over).
 */
export class WriteTokenHost<W extends TokenChannel> {
  private holder: W | undefined;
  private readonly queue: W[] = [];
  /** Grants made (for tests and the benchmark: one per write group). */
  grants = 0;

  /** Who holds the token now. */
  get heldBy(): W | undefined {
    return this.holder;
  }

  /** Handles one message of `worker`'s. */
  receive(worker: W, message: TokenMessage): void {
    if (message.op === 'ask') {
      if (this.holder === undefined) this.grant(worker);
      else if (this.holder !== worker && !this.queue.includes(worker)) this.queue.push(worker);
    } else if (message.op === 'return' && this.holder === worker) {
      this.holder = undefined;
      this.grantNext();
    } else if (message.op === 'pass') {
      // Its next turn goes behind whoever already waits (the grant comes straight back when no one does).
      if (this.holder === worker) this.holder = undefined;
      if (!this.queue.includes(worker)) this.queue.push(worker);
      if (this.holder === undefined) this.grantNext();
    }
  }

  /** `worker` exited: it neither holds nor waits for the token any more. */
  gone(worker: W): void {
    const waiting = this.queue.indexOf(worker);
    if (waiting >= 0) this.queue.splice(waiting, 1);
    if (this.holder === worker) {
      this.holder = undefined;
      this.grantNext();
    }
  }

  private grantNext(): void {
    const next = this.queue.shift();
    if (next) this.grant(next);
  }

  private grant(worker: W): void {
    this.holder = worker;
    this.grants++;
    // A worker whose channel just closed cannot take its turn: the next one gets it.
    worker.send({ baton: 'token', op: 'grant' }, (error) => {
      if (error) this.gone(worker);
    });
  }
}

/**
 * A worker's side, the gate its executor's write groups wait at. One group
 * at a time holds the token; a group that wants it while another of this
 * worker's holds it asks again once that one returns it (one 'pass'
 * message), so the other worker's waiting group goes first.
 */
export class WriteTokenClient implements WriteGate {
  private readonly waiting: { resolve(): void; reject(error: unknown): void }[] = [];
  private held = false;
  private asked = false;
  private closedWith: Error | undefined;

  constructor(private readonly channel: TokenChannel) {}

  acquire(): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.ask();
    });
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.waiting.length === 0) {
      this.send('return');
      return;
    }
    // Another group of this worker waits: hand the token back and ask again in one message.
    this.asked = true;
    this.send('pass');
  }

  /** Handles a token message from the primary; false for any other message. */
  receive(message: unknown): boolean {
    if (!isTokenMessage(message)) return false;
    if (message.op !== 'grant') return true;
    this.asked = false;
    const next = this.waiting.shift();
    if (!next) {
      // Nobody here wants it any more (cannot happen while groups only ask with work): hand it straight back.
      this.send('return');
      return true;
    }
    this.held = true;
    next.resolve();
    return true;
  }

  /** The primary is gone: every group waiting for the token, and every later one, fails with `error`. */
  close(error: Error): void {
    this.closedWith = error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }

  private ask(): void {
    if (this.held || this.asked) return;
    this.asked = true;
    this.send('ask');
  }

  private send(op: TokenMessage['op']): void {
    this.channel.send({ baton: 'token', op }, (error) => {
      if (error) this.close(error);
    });
  }
}
