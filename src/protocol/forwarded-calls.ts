/**
 * API commands run in another process: with SQLite and WORKERS > 1 every
 * command runs in the cluster's primary, so one process writes the file and
 * two never fight for its write lock (see src/workers.ts). A worker
 * authenticates and parses as always, then sends the call — the function's
 * name, the customer's row it just authenticated, the parsed parameters and
 * the idempotency key — over the cluster's IPC channel; the primary runs the
 * same `answerCall` with its own services and sends back what happened:
 *
 * - an answer (success or the function's deliberate refusal), the tree
 *   encoded so its lists survive JSON;
 * - a refusal thrown outside the function (an ApiError of the idempotency
 *   check: -2 for a reused key, -3 while the first call still runs);
 * - a failure (a busy database, a bug): its name, message and driver code,
 *   so the worker answers -3 or -4 exactly as if it had run the call itself.
 *
 * The primary commits whether or not the worker is still alive to hear the
 * answer: a write it acknowledged is never lost, and one it never
 * acknowledged may or may not have happened (as with any lost connection).
 *
 * Both directions send what one event-loop turn produced as one message (the
 * calls a worker received in a turn; the replies of one write group, which
 * settle together after its COMMIT): a message per call cost a pipe write
 * each, about a sixth of the primary's busy time.
 */
import type { CallContext, Services } from '../context.js';
import { ApiError } from '../errors.js';
import type { CustomerRow } from '../store/customer.repository.js';
import type { ApiFunction } from './api-function.js';
import { answerCall, type IdempotentCall } from './answer-call.js';
import { decodeTree, encodeTree, type Answer, type StoredTree } from './idempotency.js';

/** What a worker sends its primary: one command to run. */
export interface CallMessage {
  baton: 'call';
  id: number;
  fn: string;
  customer: CustomerRow;
  params: unknown;
  idempotency?: IdempotentCall;
}

/** What the primary sends back, by the call's id. */
export type ReplyMessage =
  | { baton: 'answer'; id: number; code: number; message: string; value: StoredTree }
  | { baton: 'refused'; id: number; code: number; message: string }
  | { baton: 'failed'; id: number; name: string; message: string; code?: string; stack?: string };

/** The calls a worker received in one turn. */
export interface CallBatch {
  baton: 'calls';
  calls: CallMessage[];
}

/** The replies of one turn of the primary. */
export interface ReplyBatch {
  baton: 'replies';
  replies: ReplyMessage[];
}

/** True for a message a worker sent with `CommandForwarder`. */
export function isCallBatch(message: unknown): message is CallBatch {
  return (message as { baton?: unknown } | null)?.baton === 'calls';
}

function isReplyBatch(message: unknown): message is ReplyBatch {
  return (message as { baton?: unknown } | null)?.baton === 'replies';
}

/** An IPC channel, as node:child_process and node:cluster give it. */
export interface Channel<M> {
  send(message: M, callback: (error: Error | null) => void): boolean;
}

/** Collects what one turn sends and sends it as one message on the next. */
class Outbox<T> {
  private items: T[] = [];

  constructor(private readonly flush: (items: T[]) => void) {}

  push(item: T): void {
    if (this.items.length === 0) setImmediate(() => this.flushNow());
    this.items.push(item);
  }

  private flushNow(): void {
    const items = this.items;
    this.items = [];
    if (items.length > 0) this.flush(items);
  }
}

/**
 * A worker's side: sends each command to the primary and settles it with the
 * reply. `receive` is given every message the primary sends; `close` fails
 * the calls still waiting when the channel is gone (the worker then exits).
 */
export class CommandForwarder {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(answer: Answer): void; reject(error: unknown): void }>();
  private closedWith: Error | undefined;
  private readonly outbox: Outbox<CallMessage>;

  constructor(channel: Channel<CallBatch>) {
    this.outbox = new Outbox((calls) => {
      channel.send({ baton: 'calls', calls }, (error) => {
        if (!error) return;
        for (const call of calls) {
          this.waiting.get(call.id)?.reject(error);
          this.waiting.delete(call.id);
        }
      });
    });
  }

  /** Runs `fn` in the primary; the answer, or the error the primary's call threw. */
  forward(ctx: CallContext, fn: ApiFunction, params: unknown, idempotency?: IdempotentCall): Promise<Answer> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = ++this.nextId;
    const message: CallMessage = { baton: 'call', id, fn: fn.name, customer: ctx.customer, params };
    if (idempotency) message.idempotency = idempotency;
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.outbox.push(message);
    });
  }

  /** Settles the calls a batch of replies is for; false for any other message. */
  receive(message: unknown): boolean {
    if (!isReplyBatch(message)) return false;
    for (const reply of message.replies) this.settle(reply);
    return true;
  }

  private settle(message: ReplyMessage): void {
    const call = this.waiting.get(message.id);
    if (!call) return;
    this.waiting.delete(message.id);
    if (message.baton === 'answer') {
      call.resolve({ code: message.code, message: message.message, value: decodeTree(message.value) });
    } else if (message.baton === 'refused') {
      call.reject(new ApiError(message.code, message.message));
    } else {
      const error = new Error(message.message) as Error & { code?: string };
      error.name = message.name;
      if (message.code !== undefined) error.code = message.code;
      if (message.stack !== undefined) error.stack = message.stack;
      call.reject(error);
    }
  }

  /** Fails every waiting call (and any later one) with `error`. */
  close(error: Error): void {
    this.closedWith = error;
    for (const call of this.waiting.values()) call.reject(error);
    this.waiting.clear();
  }
}

/**
 * The primary's side for one worker: runs each call of its batches with the
 * primary's services and sends the replies back, a turn's worth at a time.
 * `connected` says whether the worker is still there to hear them: a dead
 * worker's calls still run to their COMMIT, their answers are dropped.
 */
export class CommandHost {
  private readonly outbox: Outbox<ReplyMessage>;

  constructor(
    private readonly services: Services,
    private readonly functions: ReadonlyMap<string, ApiFunction>,
    channel: Channel<ReplyBatch>,
    connected: () => boolean,
    onSendError: (error: Error) => void,
  ) {
    this.outbox = new Outbox((replies) => {
      if (!connected()) return;
      channel.send({ baton: 'replies', replies }, (error) => {
        if (error) onSendError(error);
      });
    });
  }

  /** Runs every call of `batch`. */
  receive(batch: CallBatch): void {
    for (const call of batch.calls) {
      void runForwardedCall(this.services, this.functions, call).then((reply) => this.outbox.push(reply));
    }
  }
}

/** Runs a worker's call with the primary's own services and says how it ended. Never rejects. */
async function runForwardedCall(
  services: Services,
  functions: ReadonlyMap<string, ApiFunction>,
  call: CallMessage,
): Promise<ReplyMessage> {
  const id = call.id;
  try {
    const fn = functions.get(call.fn);
    if (!fn || fn.kind !== 'command') throw new Error(`no command named ${call.fn}`);
    const answer = await answerCall({ services, customer: call.customer }, fn, call.params, call.idempotency);
    return { baton: 'answer', id, code: answer.code, message: answer.message, value: encodeTree(answer.value) };
  } catch (error) {
    if (error instanceof ApiError) return { baton: 'refused', id, code: error.code, message: error.message };
    const failure = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown; stack?: unknown };
    const reply: ReplyMessage = {
      baton: 'failed',
      id,
      name: typeof failure.name === 'string' ? failure.name : 'Error',
      message: typeof failure.message === 'string' ? failure.message : String(error),
    };
    if (typeof failure.code === 'string') reply.code = failure.code;
    if (typeof failure.stack === 'string') reply.stack = failure.stack;
    return reply;
  }
}
