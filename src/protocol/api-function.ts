/**
 * The shape of one API function: its name on the wire, whether it is an
 * information (GET or POST) or command (POST only) function, its parameter
 * schema, and a thin handler that calls one domain operation and presents it.
 */
import type { z } from 'zod';
import type { CallContext } from '../context.js';
import type { ViewRequest } from '../store/conference-view.repository.js';
import type { MaybePromise } from '../maybe-promise.js';
import type { Tree } from './tree.js';

export type FunctionKind = 'information' | 'command';

export interface ApiFunction<Params extends z.ZodType = z.ZodType> {
  /** The function name as the spec writes it, e.g. `addPerson`. */
  readonly name: string;
  readonly kind: FunctionKind;
  /** One line for the OpenAPI document and the reference page. */
  readonly summary: string;
  /** The object type its value holds (`Conference`, `Person`, `ConferenceList` …). */
  readonly result: string;
  readonly params: Params;
  /** Function-specific codes of the spec, for documentation. */
  readonly codes?: Readonly<Record<number, string>>;
  /**
   * The conference view the handler will read for these (validated)
   * parameters: on PostgreSQL it is read in the same statement as the
   * authentication and handed to the handler as `ctx.readAhead`
   * (getConference, getConferenceData; addPerson's versioned conference).
   */
  readonly readsView?: (params: z.output<Params>) => ViewRequest;
  /**
   * The handler may wait on something other than the store (a DNS lookup
   * of a webhook's host). A call of it with an idempotency key then claims
   * the key in a write of its own instead of running inside the claim's
   * write unit: that unit holds the cluster's writes (SQLite) for as long as
   * the handler runs.
   */
  readonly waitsOutsideTheStore?: boolean;
  /**
   * On PostgreSQL a call of it with a fresh idempotency key hands the key's
   * claim to the handler as `ctx.keyClaim`: its one write statement stores
   * the key with the answer (addPerson), or it throws KeyNotClaimed having
   * written nothing.
   */
  readonly claimsKeyInItsWrite?: boolean;
  /** The answer; a value rather than a promise when it is at hand (an answer the exact cache holds). */
  handle(ctx: CallContext, params: z.output<Params>): MaybePromise<Tree | ResultWithMessage>;
}

/**
 * A successful result that also carries a message: code 0 with a note the
 * client may read (e.g. the reservation items createConferenceReserved skipped).
 */
export class ResultWithMessage {
  constructor(
    readonly value: Tree,
    readonly message: string,
  ) {}
}

/** Declares a function with its parameter types inferred from the schema. */
export function defineFunction<Params extends z.ZodType>(fn: ApiFunction<Params>): ApiFunction<Params> {
  return fn;
}
