/**
 * One authenticated call of an API function, once its parameters are parsed:
 * its answer, deliberate refusals (an ApiError) included, run at most once
 * per idempotency key when the call carries one. The HTTP front ends (and
 * anything else that runs calls for a worker) go through here, so where a
 * call runs is decided in one place: here, or — for a command, when this
 * process's services forward commands (SQLite with WORKERS > 1, see
 * forwarded-calls.ts) — in the cluster's primary.
 */
import type { CallContext, Services } from '../context.js';
import { ApiError } from '../errors.js';
import { ResultWithMessage, type ApiFunction } from './api-function.js';
import { answerOnce, errorAnswer, type Answer } from './idempotency.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import type { Tree } from './tree.js';

/** The idempotency key a command carries, with the hash of its parameters. */
export interface IdempotentCall {
  key: string;
  hash: string;
}

/** Runs a command elsewhere (the cluster's primary) and settles with what happened there. */
export type CommandRunner = (
  ctx: CallContext,
  fn: ApiFunction,
  params: unknown,
  idempotency?: IdempotentCall,
) => Promise<Answer>;

const commandRunners = new WeakMap<Services, CommandRunner>();

/** From now on the commands of calls made with `services` run through `runner` (a worker's forwarder). */
export function runCommandsWith(services: Services, runner: CommandRunner): void {
  commandRunners.set(services, runner);
}

/** A handler's result as an answer. */
function resultAnswer(result: Tree | ResultWithMessage): Answer {
  if (result instanceof ResultWithMessage) return { code: 0, message: result.message, value: result.value };
  return { code: 0, message: '', value: result };
}

/** A handler's deliberate refusal as an answer; anything else is thrown on. */
function refusalAnswer(error: unknown): Answer {
  if (error instanceof ApiError) return errorAnswer(error);
  throw error;
}

/**
 * Runs a function's handler; its result or its deliberate refusal as an
 * answer: at once when the handler answered at once (a cached answer).
 */
function answerOf(fn: ApiFunction, ctx: CallContext, params: unknown): MaybePromise<Answer> {
  let result: MaybePromise<Tree | ResultWithMessage>;
  try {
    result = fn.handle(ctx, params);
  } catch (error) {
    return refusalAnswer(error);
  }
  return isPromise(result) ? result.then(resultAnswer, refusalAnswer) : resultAnswer(result);
}

/**
 * Answers `fn` called with `params` (already parsed by its schema) for
 * `ctx.customer`. Anything but an ApiError (a busy database, a bug) is thrown
 * (synchronously, or as a rejection). A forwarded command settles the same
 * way, with the primary's answer or error. An information function whose
 * handler answered at once (from the exact cache) answers at once too: no
 * promise.
 */
export function answerCall(
  ctx: CallContext,
  fn: ApiFunction,
  params: unknown,
  idempotency?: IdempotentCall,
): MaybePromise<Answer> {
  if (fn.kind === 'command') {
    const runner = commandRunners.get(ctx.services);
    if (runner) return runner(ctx, fn, params, idempotency);
  }
  if (idempotency === undefined) return answerOf(fn, ctx, params);
  return answerOnce(ctx.services, ctx.customer.uid, idempotency.key, idempotency.hash, async () =>
    answerOf(fn, ctx, params),
  );
}
