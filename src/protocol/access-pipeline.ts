/**
 * The /_access pipeline without a web framework: parameters → format →
 * function → throttle and authentication → schema → answerCall → envelope.
 * Both HTTP fronts call it (the node:http front for ordinary requests, the
 * Fastify route for what that front hands over), so each rule of the protocol
 * exists once; they only gather the parameters and write the answer.
 */
import type { CallContext, Services } from '../context.js';
import { authenticate } from '../domain/customers.js';
import type { CustomerRow } from '../store/customer.repository.js';
import { ApiError, AuthError, GeneralCode, ParameterError } from '../errors.js';
import { renderedAnswer } from '../store/prepared.js';
import type { ApiFunction } from './api-function.js';
import { answerCall } from './answer-call.js';
import { renderEnvelope, type Format } from './envelope.js';
import { clientAddress } from './client-address.js';
import { classifyError } from './error-classes.js';
import { readIdempotencyKey, requestHash } from './idempotency.js';
import { describeIssues } from './params.js';
import { refuseNulCharacters, type Params } from './request-params.js';
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
    this.byName = new Map(functions.map((fn) => [fn.name.toLowerCase(), fn]));
    this.throttle = createThrottle(services, 'auth', { limit: services.config.authFailureLimit });
  }

  /** The function registered under `name` (any case), if any: the front decides with it whether to answer. */
  lookup(name: string): ApiFunction | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** Answers one request; never throws (a failure becomes a -3 or -4 envelope with `failure` set). */
  async answer(request: AccessRequest): Promise<AccessAnswer> {
    let format: Format = 'xml';
    let fnName = 'unknown';
    try {
      const params = request.params;
      if (params instanceof ParameterError) throw params;
      const parsedFormat = parseFormat(params.type);
      if (parsedFormat === null) throw new ParameterError(`type must be json or xml, got "${params.type}"`);
      format = parsedFormat;
      refuseNulCharacters(params);

      const fn = this.lookup(request.fnName);
      if (!fn) throw new ParameterError(`unknown function "${request.fnName}"`);
      fnName = fn.name;
      if (fn.kind === 'command' && request.method !== 'POST') {
        throw new ParameterError(`${fn.name} is a command: send it with POST`);
      }

      const customer = await this.authenticate(request, params);
      if (typeof customer === 'number') {
        const answer = envelopeAnswer(
          fnName,
          format,
          GeneralCode.invalidKey,
          `invalid customer key (too many failures from your address; retry in ${customer} s)`,
          null,
        );
        answer.retryAfter = String(customer);
        return answer;
      }
      const ctx: CallContext = { services: this.services, customer };

      const parsed = fn.params.safeParse(params);
      if (!parsed.success) throw new ParameterError(describeIssues(parsed.error));
      const idempotencyKey = fn.kind === 'command' ? readIdempotencyKey(request.idempotencyHeader, params) : undefined;
      const answer = await answerCall(
        ctx,
        fn,
        parsed.data,
        idempotencyKey === undefined ? undefined : { key: idempotencyKey, hash: requestHash(fn.name, params) },
      );
      const value = answer.value;
      if (answer.code === 0 && answer.message === '' && typeof value === 'object' && value !== null) {
        // A cached answer's envelope depends on nothing else: its bytes are rendered once (dropped with it).
        const body = renderedAnswer(this.services.store.db, value, format, () =>
          Buffer.from(renderEnvelope(format, 0, '', value)),
        );
        if (body !== undefined) return { status: 200, format, code: 0, fn: fnName, body };
      }
      return envelopeAnswer(fnName, format, answer.code, answer.message, value);
    } catch (error) {
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
   * before it; on SQLite it is in memory and costs no extra turn.
   */
  private async authenticate(request: AccessRequest, params: Params): Promise<CustomerRow | number> {
    // The failure throttle's key: the client's address as far as TRUST_PROXY lets it be trusted.
    const address = clientAddress(this.services.config.trustProxy, request.peerAddress, request.forwardedFor);
    const [wait, authenticated] = await Promise.all([
      this.throttle.retryAfter(address),
      authenticate(this.services, params.customer, params.key).then(
        (customer) => ({ customer }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if (wait > 0) {
      this.services.metrics?.recordThrottleRefusal('api-auth');
      return wait;
    }
    if ('error' in authenticated) {
      if (authenticated.error instanceof AuthError) await this.throttle.hit(address);
      throw authenticated.error;
    }
    return authenticated.customer;
  }
}
