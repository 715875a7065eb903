/**
 * One authenticated call of an API function, once its parameters are parsed:
 * its answer, deliberate refusals (an ApiError) included, run at most once
 * per idempotency key when the call carries one. The HTTP front ends go
 * through here, so how a call runs is decided in one place. Every process
 * runs its own calls, commands included: with SQLite and WORKERS > 1 a
 * worker's write groups take turns with the others' by the cluster's write
 * token (src/write-token.ts), below this seam.
 */
import type { Kysely } from 'kysely';
import type { CallContext } from '../context.js';
import { ApiError } from '../errors.js';
import { ResultWithMessage, type ApiFunction } from './api-function.js';
import { answerOnce, errorAnswer, type Answer } from './idempotency.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import type { Tree } from './tree.js';
import type { Database } from '../store/schema.js';
import { storeOnUnit } from '../store/database.js';

/** The idempotency key a command carries, with the hash of its parameters. */
export interface IdempotentCall {
  key: string;
  hash: string;
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
 * (synchronously, or as a rejection). An information function whose
 * handler answered at once (from the exact cache) answers at once too: no
 * promise.
 */
export function answerCall(
  ctx: CallContext,
  fn: ApiFunction,
  params: unknown,
  idempotency?: IdempotentCall,
): MaybePromise<Answer> {
  if (idempotency === undefined) return answerOf(fn, ctx, params);
  return answerOnce(
    ctx.services,
    ctx.customer.uid,
    idempotency.key,
    idempotency.hash,
    async (unitDb, keyClaim) =>
      answerOf(fn, unitDb !== undefined ? onUnit(ctx, unitDb) : keyClaim ? { ...ctx, keyClaim } : ctx, params),
    fn.waitsOutsideTheStore !== true,
    fn.claimsKeyInItsWrite === true,
  );
}

/**
 * `ctx` whose store is the transaction of the write unit that holds an
 * idempotency key's claim: the handler's reads and the domain's
 * transactions (savepoints inside the unit) run on it, so the call commits
 * with its claim and its answer. Nothing else of the context changes.
 */
function onUnit(ctx: CallContext, unitDb: Kysely<Database>): CallContext {
  const { services } = ctx;
  return { ...ctx, services: { ...services, store: storeOnUnit(services.store, unitDb) } };
}
