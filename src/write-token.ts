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
import { writeGroupStats } from './store/write-group-stats.js';

/** How long a turn asked for ahead is kept for writes that have not arrived yet (see WriteTokenClient). */
const aheadHoldMs = 1;

/** What a worker and the primary send each other about the token. */
export interface TokenMessage {
  baton: 'token';
  /**
   * ask: the worker's group has work; grant: the worker holds it now; return: the worker is done;
   * pass: the worker is done and another of its groups has work (a return and an ask in one message).
   */
  op: 'ask' | 'grant' | 'return' | 'pass';
  /**
   * With a grant: the worker waited for it behind another worker's turn
   * (the workers are taking turns, so it may ask for its next turn as it
   * hands this one back, see WriteTokenClient.release).
   */
  contended?: boolean;
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
      else if (this.holder !== worker && !this.queue.includes(worker)) this.enqueue(worker);
    } else if (message.op === 'return' && this.holder === worker) {
      this.holder = undefined;
      this.grantNext();
    } else if (message.op === 'pass') {
      // Its next turn goes behind whoever already waits (the grant comes straight back when no one does).
      if (this.holder === worker) this.holder = undefined;
      if (!this.queue.includes(worker)) this.enqueue(worker);
      if (this.holder === undefined) this.grantNext();
    }
  }

  /** `worker` exited: it neither holds nor waits for the token any more. */
  gone(worker: W): void {
    const waiting = this.queue.indexOf(worker);
    if (waiting >= 0) this.queue.splice(waiting, 1);
    this.behind.delete(worker);
    if (this.holder === worker) {
      this.holder = undefined;
      this.grantNext();
    }
  }

  /** Workers in the queue that joined it behind another worker's turn (held, or waited for). */
  private readonly behind = new Set<W>();

  private enqueue(worker: W): void {
    if ((this.holder !== undefined && this.holder !== worker) || this.queue.length > 0) this.behind.add(worker);
    this.queue.push(worker);
  }

  private grantNext(): void {
    const next = this.queue.shift();
    if (next) this.grant(next);
  }

  private grant(worker: W): void {
    this.holder = worker;
    this.grants++;
    // It waited behind another worker's turn: the workers are taking turns (see WriteTokenClient).
    const message: TokenMessage = this.behind.delete(worker)
      ? { baton: 'token', op: 'grant', contended: true }
      : { baton: 'token', op: 'grant' };
    // A worker whose channel just closed cannot take its turn: the next one gets it.
    worker.send(message, (error) => {
      if (error) this.gone(worker);
    });
  }
}

/**
 * A worker's side, the gate its executor's write groups wait at. One group
 * at a time holds the token; a group that wants it while another of this
 * worker's holds it asks again once that one returns it (one 'pass'
 * message), so the other worker's waiting group goes first.
 *
 * While the workers take turns (this one's grant came after another's turn), a
 * worker whose group held more than one write asks for its next turn in the
 * message that hands this one back, before that turn's writes have arrived:
 * under load they come as soon as its answers are out, and the primary then
 * handles one message a turn instead of a return and a later ask. A turn
 * granted so, with no group waiting for it, is kept for the writes that
 * arrive within a millisecond, and handed back if none did.
 */
export class WriteTokenClient implements WriteGate {
  private readonly waiting: { resolve(): void; reject(error: unknown): void }[] = [];
  private held = false;
  private asked = false;
  /** The last grant came after another worker's turn (the workers are taking turns). */
  private contended = false;
  /** A turn asked for ahead is held with no group in it yet (see the class's comment). */
  private idle = false;
  private closedWith: Error | undefined;
  /** Turns asked for ahead, and those of them handed back unused (for tests and the benchmark). */
  readonly aheadStats = { asked: 0, unused: 0 };

  /**
   * `holdAhead` schedules the hand-back of a turn asked for ahead that no
   * group has taken yet (by default after a millisecond; tests decide when).
   */
  constructor(
    private readonly channel: TokenChannel,
    private readonly holdAhead: (handBack: () => void) => void = (handBack) => void setTimeout(handBack, aheadHoldMs),
  ) {}

  acquire(): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.idle) {
      this.idle = false;
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.ask();
    });
  }

  release(more = false): void {
    if (!this.held) return;
    this.held = false;
    const ahead = this.waiting.length === 0 && more && this.contended;
    if (this.waiting.length === 0 && !ahead) {
      this.send('return');
      return;
    }
    // Another group of this worker waits (or is about to): hand the token back and ask again in one message.
    if (ahead) {
      this.aheadStats.asked++;
      if (writeGroupStats) writeGroupStats.counts['token.ahead'] = (writeGroupStats.counts['token.ahead'] ?? 0) + 1;
    }
    this.asked = true;
    this.send('pass');
  }

  /** Handles a token message from the primary; false for any other message. */
  receive(message: unknown): boolean {
    if (!isTokenMessage(message)) return false;
    if (message.op !== 'grant') return true;
    this.asked = false;
    this.contended = message.contended === true;
    const next = this.waiting.shift();
    if (!next) {
      // A turn asked for ahead: kept for the writes that arrive within a millisecond (this worker's answers
      // are on their way to their clients, whose next requests are the writes it asked for), then handed back.
      this.idle = true;
      this.holdAhead(() => {
        if (!this.idle) return;
        this.idle = false;
        this.aheadStats.unused++;
        if (writeGroupStats) writeGroupStats.counts['token.unused'] = (writeGroupStats.counts['token.unused'] ?? 0) + 1;
        this.send('return');
      });
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
    if (writeGroupStats) writeGroupStats.counts[`token.${op}`] = (writeGroupStats.counts[`token.${op}`] ?? 0) + 1;
    this.channel.send({ baton: 'token', op }, (error) => {
      if (error) this.close(error);
    });
  }
}
