/**
 * One authenticated call of an API function, once its parameters are parsed:
 * its answer, deliberate refusals (an ApiError) included, run at most once
 * per idempotency key when the call carries one. The HTTP front ends (and
 * anything else that runs calls for a worker) go through here, so where a
 * call runs is decided in one place.
 */
import type { CallContext } from '../context.js';
import { ApiError } from '../errors.js';
import { ResultWithMessage, type ApiFunction } from './api-function.js';
import { answerOnce, errorAnswer, type Answer } from './idempotency.js';

/** The idempotency key a command carries, with the hash of its parameters. */
export interface IdempotentCall {
  key: string;
  hash: string;
}

/** Runs a function's handler; its result or its deliberate refusal as an answer. */
async function answerOf(fn: ApiFunction, ctx: CallContext, params: unknown): Promise<Answer> {
  try {
    const result = await fn.handle(ctx, params);
    if (result instanceof ResultWithMessage) return { code: 0, message: result.message, value: result.value };
    return { code: 0, message: '', value: result };
  } catch (error) {
    if (error instanceof ApiError) return errorAnswer(error);
    throw error;
  }
}

/**
 * Answers `fn` called with `params` (already parsed by its schema) for
 * `ctx.customer`. Anything but an ApiError (a busy database, a bug) is thrown.
 */
export function answerCall(
  ctx: CallContext,
  fn: ApiFunction,
  params: unknown,
  idempotency?: IdempotentCall,
): Promise<Answer> {
  const run = () => answerOf(fn, ctx, params);
  if (idempotency === undefined) return run();
  return answerOnce(ctx.services, ctx.customer.uid, idempotency.key, idempotency.hash, run);
}
