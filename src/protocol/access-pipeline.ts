/**
 * The /_access pipeline without a web framework: parameters → format →
 * function → throttle and authentication → schema → answerCall → envelope.
 * Both HTTP fronts call it (the node:http front for ordinary requests, the
 * Fastify route for what that front hands over), so each rule of the protocol
 * exists once; they only gather the parameters and write the answer.
 */
import type { CallContext, Services } from '../context.js';
import { authenticateRequest, checkCredentials } from '../domain/customers.js';
import type { ReadAhead, ViewRequest } from '../store/conference-view.repository.js';
import type { CustomerRow } from '../store/customer.repository.js';
import { ApiError, AuthError, GeneralCode, ParameterError } from '../errors.js';
import { renderedAnswer } from '../store/prepared.js';
import type { ApiFunction } from './api-function.js';
import { answerCall } from './answer-call.js';
import { andThen, isPromise, type MaybePromise } from '../maybe-promise.js';
import { renderEnvelope, type Format } from './envelope.js';
import { clientAddress } from './client-address.js';
import { classifyError } from './error-classes.js';
import { readIdempotencyKey, requestHash, type Answer } from './idempotency.js';
import { describeIssues } from './params.js';
import { ParamsRefusal, refuseNulCharacters, type Params } from './request-params.js';
import { createThrottle } from './throttle.js';
import type { Tree } from './tree.js';

/** `type`: xml (default) or json, any case; null for anything else. */
export function parseFormat(type: string | undefined): Format | null {
  if (type === undefined || type === '') return 'xml';
  // What nearly every client sends, without allocating a trimmed, lowered copy.
  if (type === 'json' || type === 'xml') return type;
  const lower = type.trim().toLowerCase();
  return lower === 'json' || lower === 'xml' ? lower : null;
}

/** One /_access request, as either front read it. */
export interface AccessRequest {
  /** GET or POST (the fronts answer other methods before the pipeline). */
  readonly method: string;
  /** The function name as it came in the path (matched in any case). */
  readonly fnName: string;
  /** Query and body parameters, body over query; a ParameterError when they could not be gathered. */
  readonly params: Params | ParameterError;
  /** The Idempotency-Key header. */
  readonly idempotencyHeader: string | string[] | undefined;
  /** The socket peer's address. */
  readonly peerAddress: string;
  /** The X-Forwarded-For header (read only when TRUST_PROXY trusts the peer). */
  readonly forwardedFor: string | string[] | undefined;
  readonly requestId: string;
}

/** Something the front must log for this request (with its request id), at `level`. */
export interface AccessFailure {
  readonly level: 'warn' | 'error';
  readonly error: unknown;
  readonly message: string;
}

/** What to write back: one envelope with its HTTP status, plus what the log line and metrics need. */
export interface AccessAnswer {
  status: number;
  format: Format;
  code: number;
  /** The function's registered name, or "unknown". */
  fn: string;
  /** The rendered envelope: text, or bytes reused for a cached answer. */
  body: string | Buffer;
  /** Seconds, for a Retry-After header (a throttled client). */
  retryAfter?: string;
  failure?: AccessFailure;
}

/** An envelope answer (HTTP 200 unless told otherwise: DESIGN.md, clients read `code`). */
export function envelopeAnswer(
  fn: string,
  format: Format,
  code: number,
  message: string,
  value: Tree,
  status = 200,
): AccessAnswer {
  return { status, format, code, fn, body: renderEnvelope(format, code, message, value) };
}

/** Answers /_access requests for `functions`: the one place the protocol's rules live. */
export class AccessPipeline {
  private readonly byName: Map<string, ApiFunction>;
  private readonly throttle;
  private readonly authFailureBytes = new Map<Format, Map<string, Buffer>>();

  constructor(
    private readonly services: Services,
    functions: readonly ApiFunction[],
  ) {
    // By the lowered name, and by the name as registered: what clients send, found without lowering it.
    this.byName = new Map(functions.flatMap((fn) => [[fn.name.toLowerCase(), fn] as const, [fn.name, fn] as const]));
    this.throttle = createThrottle(services, 'auth', { limit: services.config.authFailureLimit, addresses: true });
  }

  /** The function registered under `name` (any case), if any: the front decides with it whether to answer. */
  lookup(name: string): ApiFunction | undefined {
    return this.byName.get(name) ?? this.byName.get(name.toLowerCase());
  }

  /**
   * Answers one request; never throws (a failure becomes a -3 or -4 envelope
   * with `failure` set). The answer itself — not a promise — when every step
   * could answer at once (a fully cached read on SQLite: the credentials and
   * the answer from the exact cache, the throttle in memory), so the front
   * writes it in the same turn; a promise when a step had to wait.
   */
  answer(request: AccessRequest): MaybePromise<AccessAnswer> {
    // What the failure envelope needs, as far as the steps got (xml and "unknown" until known).
    const known: Known = { format: 'xml', fnName: 'unknown' };
    try {
      const answer = this.steps(request, known);
      return isPromise(answer) ? answer.catch((error: unknown) => this.failure(request, known, error)) : answer;
    } catch (error) {
      return this.failure(request, known, error);
    }
  }

  /**
   * The protocol's rules, in their one order: parameters, format, function,
   * method; then the throttle and authentication (before any refusal of the
   * function's own parameters); then the call and its envelope. Each step
   * goes on at once when the one before it answered at once.
   */
  private steps(request: AccessRequest, known: Known): MaybePromise<AccessAnswer> {
    const params = request.params;
    if (params instanceof ParameterError) {
      // The refusal in the format asked for, when the parameters that say it were read.
      if (params instanceof ParamsRefusal) known.format = parseFormat(params.type) ?? 'xml';
      throw params;
    }
    const format = parseFormat(params.type);
    if (format === null) throw new ParameterError(`type must be json or xml, got "${params.type}"`);
    known.format = format;
    refuseNulCharacters(params);

    const fn = this.lookup(request.fnName);
    if (!fn) throw new ParameterError(`unknown function "${request.fnName}"`);
    const fnName = fn.name;
    known.fnName = fnName;
    if (fn.kind === 'command' && request.method !== 'POST') {
      throw new ParameterError(`${fn.name} is a command: send it with POST`);
    }

    // Parsing is pure: done first so that a function's declared view can be
    // read with the credentials, but its refusal still comes after theirs.
    const parsed = fn.params.safeParse(params);
    const view = parsed.success ? fn.readsView?.(parsed.data) : undefined;
    return andThen(this.authenticate(request, params, view), (authenticated) => {
      if (authenticated instanceof Refusal) return this.failure(request, known, authenticated.error);
      if (typeof authenticated === 'number') {
        const answer = envelopeAnswer(
          fnName,
          format,
          GeneralCode.invalidKey,
          `invalid customer key (too many failures from your address; retry in ${authenticated} s)`,
          null,
        );
        answer.retryAfter = String(authenticated);
        return answer;
      }
      const { customer, readAhead } = authenticated;
      const ctx: CallContext = readAhead
        ? { services: this.services, customer, readAhead }
        : { services: this.services, customer };

      if (!parsed.success) throw new ParameterError(describeIssues(parsed.error));
      const idempotencyKey = fn.kind === 'command' ? readIdempotencyKey(request.idempotencyHeader, params) : undefined;
      const answer = answerCall(
        ctx,
        fn,
        parsed.data,
        idempotencyKey === undefined ? undefined : { key: idempotencyKey, hash: requestHash(fn.name, params) },
      );
      return andThen(answer, (called) => this.envelope(fnName, format, called));
    });
  }

  /** The envelope of a call's answer: a cached answer's bytes are rendered once (dropped with it). */
  private envelope(fnName: string, format: Format, answer: Answer): AccessAnswer {
    const value = answer.value;
    if (answer.code === 0 && answer.message === '' && typeof value === 'object' && value !== null) {
      const body = renderedAnswer(this.services.store.db, value, format, () =>
        Buffer.from(renderEnvelope(format, 0, '', value)),
      );
      if (body !== undefined) return { status: 200, format, code: 0, fn: fnName, body };
    }
    return envelopeAnswer(fnName, format, answer.code, answer.message, value);
  }

  /** The envelope of whatever a step threw: a refusal's code, -3 for a busy database, -4 for anything else. */
  private failure(request: AccessRequest, known: Known, error: unknown): AccessAnswer {
    const { fnName, format } = known;
    if (error instanceof AuthError) return this.authFailure(fnName, format, error);
    if (error instanceof ApiError) return envelopeAnswer(fnName, format, error.code, error.message, null);
    if (classifyError(error) === 'retryable') {
      const answer = envelopeAnswer(
        fnName,
        format,
        GeneralCode.retryable,
        `the database is busy or unreachable; retry the call (request ${request.requestId})`,
        null,
      );
      answer.failure = { level: 'warn', error, message: 'database busy or unreachable' };
      return answer;
    }
    const answer = envelopeAnswer(
      fnName,
      format,
      GeneralCode.unhandled,
      `unhandled exception; if it persists contact support quoting request ${request.requestId}`,
      null,
    );
    answer.failure = { level: 'error', error, message: 'unhandled exception' };
    return answer;
  }

  /** The -5 envelope: its bytes, the same for every wrong key, rendered once per format and message. */
  private authFailure(fn: string, format: Format, error: AuthError): AccessAnswer {
    let byMessage = this.authFailureBytes.get(format);
    if (byMessage === undefined) this.authFailureBytes.set(format, (byMessage = new Map()));
    let body = byMessage.get(error.message);
    if (body === undefined) {
      body = Buffer.from(renderEnvelope(format, error.code, error.message, null));
      // AuthError's messages are the class's own few texts; the bound only guards against a new one per call.
      if (byMessage.size < 16) byMessage.set(error.message, body);
    }
    return { status: 200, format, code: error.code, fn, body };
  }

  /**
   * The customer, or the seconds a throttled address must wait. The throttle
   * check (a database read on PostgreSQL) runs alongside authentication, not
   * before it; on SQLite it is in memory, and with the credentials in the
   * exact cache the outcome is there at once.
   */
  private authenticate(
    request: AccessRequest,
    params: Params,
    view: ViewRequest | undefined,
  ): MaybePromise<Authenticated | number | Refusal> {
    // The failure throttle's key: the client's address as far as TRUST_PROXY lets it be trusted.
    const address = clientAddress(this.services.config.trustProxy, request.peerAddress, request.forwardedFor);
    const throttle = this.throttle;
    if (throttle.windowOf && throttle.retryAfterWindow) {
      const retryAfterWindow = throttle.retryAfterWindow.bind(throttle);
      // PostgreSQL: the throttle window, the credentials and the declared view in one statement.
      return authenticateRequest(this.services, params.customer, params.key, throttle.windowOf(address), view).then(
        (read) =>
          read
            ? this.decide(address, retryAfterWindow(read.throttle), read.outcome, read.readAhead)
            : this.authenticateApart(address, params),
      );
    }
    return this.authenticateApart(address, params);
  }

  /** The throttle's wait and authentication's outcome, each read on its own, side by side. */
  private authenticateApart(address: string, params: Params): MaybePromise<Authenticated | number | Refusal> {
    const wait = this.throttle.retryAfter(address);
    let outcome: MaybePromise<Outcome>;
    try {
      const checked = checkCredentials(this.services, params.customer, params.key);
      outcome = isPromise(checked) ? checked.then(asOutcome, asError) : asOutcome(checked);
    } catch (error) {
      outcome = { error };
    }
    if (isPromise(wait) || isPromise(outcome)) {
      return Promise.all([wait, outcome]).then(([seconds, settled]) =>
        this.decide(address, seconds, settled, undefined),
      );
    }
    return this.decide(address, wait, outcome, undefined);
  }

  /**
   * The throttle's refusal first, then authentication's (a failure counts
   * against the address), as a value: the failure envelope is made from it
   * without throwing.
   */
  private decide(
    address: string,
    wait: number,
    authenticated: Outcome,
    readAhead: ReadAhead | undefined,
  ): MaybePromise<Authenticated | number | Refusal> {
    if (wait > 0) {
      this.services.metrics?.recordThrottleRefusal('api-auth');
      return wait;
    }
    if ('error' in authenticated) {
      const refusal = new Refusal(authenticated.error);
      return authenticated.error instanceof AuthError ? andThen(this.throttle.hit(address), () => refusal) : refusal;
    }
    return readAhead ? { customer: authenticated.customer, readAhead } : { customer: authenticated.customer };
  }
}

/** Why authentication refused (or failed to decide): answered as any failure of a step is. */
class Refusal {
  constructor(readonly error: unknown) {}
}

/** How far a request got: what its failure envelope says. */
interface Known {
  format: Format;
  fnName: string;
}

/** An authenticated request's customer, with the view read with its credentials (PostgreSQL). */
interface Authenticated {
  customer: CustomerRow;
  readAhead?: ReadAhead;
}

/** Authentication's outcome, as a value. */
type Outcome = { customer: CustomerRow } | { error: unknown };

const asOutcome = (checked: CustomerRow | ApiError): Outcome =>
  checked instanceof ApiError ? { error: checked } : { customer: checked };
const asError = (error: unknown): Outcome => ({ error });
