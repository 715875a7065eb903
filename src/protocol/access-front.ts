/**
 * The node:http front of /_access. An ordinary API request — GET or POST to
 * /_access/<a registered function>, no body or a form or JSON body within the
 * body limit — is answered here, straight from the request listener, through
 * the same pipeline and envelope as the Fastify route; Fastify's per-request
 * machinery (routing, hooks, child logger, reply object) costs more than the
 * rest of a cached call. Everything else, decided before the body is read, is
 * handed untouched to Fastify: other paths and methods, unknown names,
 * multipart and other bodies, chunked bodies, bodies over the limit, and any
 * request once the server is closing (Fastify answers those 503).
 *
 * What a request gets here is what the Fastify route answers, byte for byte
 * but the Date header (access-front.test.ts compares the two): the same
 * request id (one generator, shared with Fastify's genReqId), headers in the
 * same order, the same log line and metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../operations/metrics.js';
import type { AccessAnswer, AccessPipeline, AccessRequest } from './access-pipeline.js';
import type { RequestIdOf } from '../operations/request-id.js';
import { contentTypes } from './envelope.js';
import { ParameterError } from '../errors.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import { addFormParams, checkParamCount, emptyParams, mergeBodyParams, type Params } from './request-params.js';

/**
 * Fastify's default JSON body parser, so a bad JSON body is refused with
 * Fastify's own words. It never reads its request argument (secure-json-parse
 * on the text): the raw front, which has no IncomingMessage, passes undefined.
 */
export type JsonBodyParser = (
  request: unknown,
  body: string,
  done: (error: (Error & { statusCode?: number }) | null, value?: unknown) => void,
) => void;

export interface AccessFrontOptions {
  pipeline: AccessPipeline;
  bodyLimit: number;
  /** The request id generator Fastify's genReqId uses (one counter for both), from X-Request-Id and the peer. */
  requestId: RequestIdOf;
  metrics?: Metrics;
}

/** What the front needs from the Fastify instance once it exists. */
export interface AccessFrontBinding {
  log: FastifyBaseLogger;
  jsonParser: JsonBodyParser;
  /** True once the application is closing: requests then go to Fastify, answers close their connection. */
  isClosing(): boolean;
  /** What the answer to a body Fastify's JSON parser refused is (fallback-answers.ts). */
  bodyError(error: Error & { statusCode?: number }, url: string, requestId: string): AccessAnswer;
}

const prefixLength = '/_access/'.length;
const functionName = /^[A-Za-z]{1,100}$/;
/** The route pattern the Fastify route logs (debug "request received"). */
const route = '/_access/:fn';

// pino's numeric levels (its default, ascending order: Baton sets no custom levels).
const debugLevel = 20;
const infoLevel = 30;

/**
 * The logger's level as pino's number (Infinity for Fastify's silent logger,
 * which has none): a property read, where `isLevelEnabled` looks the level's
 * name up on every request.
 */
function levelValue(log: FastifyBaseLogger): number {
  const value = (log as FastifyBaseLogger & { levelVal?: unknown }).levelVal;
  return typeof value === 'number' ? value : Infinity;
}

/** The body an ordinary request carries: none, a UTF-8 form, JSON. */
export type BodyKind = 'none' | 'form' | 'json';

/**
 * Which body an ordinary request carries, or null when Fastify must decide
 * (before anything is read), from its method and its Transfer-Encoding,
 * Content-Length and Content-Type headers. Both fronts decide with this.
 */
export function bodyKindOf(
  method: string,
  transferEncoding: string | undefined,
  length: string | undefined,
  type: string | undefined,
  bodyLimit: number,
): BodyKind | null {
  if (transferEncoding !== undefined) return null;
  if (method === 'GET') return length === undefined || length === '0' ? 'none' : null;
  if (type === undefined) return length === undefined || length === '0' ? 'none' : null;
  if (length === undefined || !/^\d{1,15}$/.test(length) || Number(length) > bodyLimit) return null;
  switch (type.toLowerCase()) {
    case 'application/x-www-form-urlencoded':
    case 'application/x-www-form-urlencoded;charset=utf-8':
    case 'application/x-www-form-urlencoded; charset=utf-8':
      return 'form';
    case 'application/json':
    case 'application/json;charset=utf-8':
    case 'application/json; charset=utf-8':
      return 'json';
    default:
      // A structured-syntax +json type (RFC 6839: application/vnd.api+json, application/merge-patch+json)
      // is JSON too; read as a form, its body would name no parameter and answer -5.
      return structuredJson.test(type) ? 'json' : null;
  }
}

/**
 * An `application/<subtype>+json` type, bare or naming UTF-8, any case: the +json types the front reads
 * itself. Fastify reads the others (another charset, other parameters) with the same JSON parser (app.ts).
 */
const structuredJson = /^application\/[\w!#$%&'*.^`|~-][\w!#$%&'*+.^`|~-]*\+json(?:; ?charset=utf-8)?$/i;

/** Any `application/<subtype>+json` type, as Fastify's parser lookup writes it (its media type lower-cased, then its parameters). */
export const structuredJsonType = /^application\/[\w!#$%&'*.^`|~-][\w!#$%&'*+.^`|~-]*\+json(?:;|$)/;

/** Which body an ordinary request carries, or null when Fastify must decide (before anything is read). */
function bodyKind(request: IncomingMessage, bodyLimit: number): BodyKind | null {
  const headers = request.headers;
  // A compressed body is refused by the Fastify route (access-route.ts), where a body of any kind is read.
  if (headers['content-encoding'] !== undefined) return null;
  return bodyKindOf(
    request.method ?? '',
    headers['transfer-encoding'],
    headers['content-length'],
    headers['content-type'],
    bodyLimit,
  );
}

/** The node:http front; `handle` returns false for a request it leaves to Fastify. */
export class AccessFront {
  private binding: AccessFrontBinding | undefined;
  /** Requests answered here (the rest went to Fastify): tests read it to know which front answered. */
  answered = 0;

  constructor(private readonly options: AccessFrontOptions) {}

  /** Connects the front to the Fastify instance (its logger, its JSON parser, its closing state). */
  bind(binding: AccessFrontBinding): void {
    this.binding = binding;
  }

  /** The front's binding to the Fastify instance (undefined until `bind`). */
  get bound(): AccessFrontBinding | undefined {
    return this.binding;
  }

  /** The body limit ordinary requests are read within. */
  get bodyLimit(): number {
    return this.options.bodyLimit;
  }

  /**
   * The function an ordinary request to `url` calls: its name as the path
   * spells it, when the path is /_access/<a registered function> (the prefix
   * in any case) with or without a query; undefined otherwise.
   */
  functionIn(url: string): string | undefined {
    if (url.length <= prefixLength) return undefined;
    if (!url.startsWith('/_access/') && url.slice(0, prefixLength).toLowerCase() !== '/_access/') return undefined;
    const query = url.indexOf('?', prefixLength);
    const name = query < 0 ? url.slice(prefixLength) : url.slice(prefixLength, query);
    if (!functionName.test(name) || this.options.pipeline.lookup(name) === undefined) return undefined;
    return name;
  }

  /**
   * Counts a request this front (or the raw one) answers and starts it: its
   * request id, its start time (when a log line or metrics use it) and the
   * debug line "request received".
   */
  begin(binding: AccessFrontBinding, forwardedId: string | string[] | undefined, peer: string | undefined): Begun {
    this.answered++;
    // performance.now() costs more than the rest of this bookkeeping: only when a log line or metrics use it.
    const started = this.options.metrics !== undefined || levelValue(binding.log) <= infoLevel ? performance.now() : 0;
    const id = this.options.requestId(forwardedId, peer);
    const log = binding.log;
    if (levelValue(log) <= debugLevel) log.debug({ reqId: id, route }, 'request received');
    return { id, started };
  }

  /** Runs one request through the pipeline: the answer at once when it is there (a fully cached read). */
  call(request: AccessRequest): MaybePromise<AccessAnswer> {
    return this.options.pipeline.answer(request);
  }

  /** Answers `request` if it is an ordinary API request; false (nothing done) otherwise. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const binding = this.binding;
    const url = request.url;
    if (binding === undefined || url === undefined) return false;
    const method = request.method;
    if (method !== 'GET' && method !== 'POST') return false;
    const name = this.functionIn(url);
    if (name === undefined) return false;
    const kind = bodyKind(request, this.options.bodyLimit);
    if (kind === null || binding.isClosing()) return false;

    const { id, started } = this.begin(binding, request.headers['x-request-id'], request.socket.remoteAddress);
    const query = url.indexOf('?', prefixLength);
    const queryText = query < 0 ? '' : url.slice(query + 1);
    if (kind === 'none') {
      this.answer(request, response, binding, id, started, name, this.gather(queryText, undefined, undefined));
      return true;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', () => response.destroy());
    request.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      if (kind === 'form') {
        this.answer(request, response, binding, id, started, name, this.gather(queryText, body, undefined));
        return;
      }
      binding.jsonParser(request, body, (error, value) => {
        // Fastify closes the connection after refusing a body (the client may still be sending): so does this.
        if (error) this.write(response, binding, id, started, binding.bodyError(error, url, id), true);
        else this.answer(request, response, binding, id, started, name, this.gather(queryText, undefined, value));
      });
    });
    return true;
  }

  /** The parameters: the query's, then the body's over them (as collectParams does). */
  gather(query: string, form: string | undefined, json: unknown): Params | ParameterError {
    const params = emptyParams();
    if (query !== '') addFormParams(params, query, 'query');
    if (form !== undefined) addFormParams(params, form, 'form');
    try {
      if (form === undefined && json !== undefined) mergeBodyParams(params, json);
      checkParamCount(params);
    } catch (error) {
      return error as ParameterError;
    }
    return params;
  }

  private answer(
    request: IncomingMessage,
    response: ServerResponse,
    binding: AccessFrontBinding,
    id: string,
    started: number,
    fnName: string,
    params: Params | ParameterError,
  ): void {
    if (response.socket === null) {
      // Pipelined behind an answer still in progress on this connection (node:http queues this one's
      // response until then): it runs once that one is done, so it sees what the requests before it
      // changed (RFC 9112 §9.3.2) — a cached answer is served in the turn it runs in.
      response.once('socket', () => this.answer(request, response, binding, id, started, fnName, params));
      return;
    }
    const answer = this.call({
      method: request.method!,
      fnName,
      params,
      idempotencyHeader: request.headers['idempotency-key'],
      peerAddress: request.socket.remoteAddress ?? '',
      forwardedFor: request.headers['x-forwarded-for'],
      requestId: id,
    });
    // A fully cached answer is there at once: written in this turn, with no promise.
    if (!isPromise(answer)) {
      this.writeOrDestroy(response, binding, id, started, answer);
      return;
    }
    answer.then(
      (settled) => this.writeOrDestroy(response, binding, id, started, settled),
      // The pipeline answers every failure itself: this cannot happen, but must not go unnoticed.
      (error: unknown) => this.writeFailed(response, binding, id, error),
    );
  }

  /** `write`, where a failure to write (a bug) is logged and closes the connection rather than escaping. */
  private writeOrDestroy(
    response: ServerResponse,
    binding: AccessFrontBinding,
    id: string,
    started: number,
    answer: AccessAnswer,
  ): void {
    try {
      this.write(response, binding, id, started, answer);
    } catch (error) {
      this.writeFailed(response, binding, id, error);
    }
  }

  private writeFailed(response: ServerResponse, binding: AccessFrontBinding, id: string, error: unknown): void {
    binding.log.error({ reqId: id, err: error }, 'unhandled exception');
    response.destroy();
  }

  /**
   * The headers of `answer` as a flat array, in the order the Fastify route
   * sends them (Connection where Fastify puts it), Content-Length last: both
   * fronts write this list. `close`: the connection closes after it.
   */
  headerList(id: string, answer: AccessAnswer, refusedBody: boolean, close: boolean): string[] {
    const body = answer.body;
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    const headers: string[] =
      answer.retryAfter === undefined && !close
        ? ['x-request-id', id, 'content-type', contentTypes[answer.format], 'cache-control', 'no-store']
        : unusualHeaders(id, answer, refusedBody, close);
    headers.push('content-length', String(length));
    return headers;
  }

  /** Logs and counts an answer written: its failure (if any), the metrics, the "api call" line at info. */
  record(binding: AccessFrontBinding, id: string, started: number, answer: AccessAnswer): void {
    const log = binding.log;
    if (answer.failure) log[answer.failure.level]({ reqId: id, err: answer.failure.error }, answer.failure.message);
    const metrics = this.options.metrics;
    const logged = levelValue(log) <= infoLevel;
    if (metrics === undefined && !logged) return;
    // 0 only if the log level was lowered to info while this request was under way.
    const ms = started === 0 ? 0 : Math.round((performance.now() - started) * 100) / 100;
    metrics?.recordApiCall(answer.fn, answer.format, answer.code, ms / 1000);
    if (logged) {
      log.info(
        { reqId: id, fn: answer.fn, format: answer.format, code: answer.code, status: answer.status, ms },
        'api call',
      );
    }
  }

  /** Writes the envelope with the headers, in the order, the Fastify route sends them; logs and counts it. */
  private write(
    response: ServerResponse,
    binding: AccessFrontBinding,
    id: string,
    started: number,
    answer: AccessAnswer,
    refusedBody = false,
  ): void {
    const close = refusedBody || binding.isClosing();
    response.writeHead(answer.status, this.headerList(id, answer, refusedBody, close));
    response.end(answer.body);
    this.record(binding, id, started, answer);
  }
}

/** A request the front has begun: its id and start time (0: nothing times it). */
export interface Begun {
  id: string;
  started: number;
}

/** The headers of an answer that closes its connection or carries Retry-After, but Content-Length. */
function unusualHeaders(id: string, answer: AccessAnswer, refusedBody: boolean, close: boolean): string[] {
  const headers = ['x-request-id', id];
  if (refusedBody) headers.push('connection', 'close');
  if (answer.retryAfter !== undefined) headers.push('retry-after', answer.retryAfter);
  headers.push('content-type', contentTypes[answer.format], 'cache-control', 'no-store');
  if (close && !refusedBody) headers.push('connection', 'close');
  return headers;
}
