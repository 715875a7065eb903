/**
 * BatonClient: one typed method per API function. JSON on the wire by default
 * (`type=json`; a POST form for every function, so the API key never sits in a
 * URL that proxies and servers log; `informationMethod: 'GET'` restores GET
 * for information functions), XML
 * on request. Retries code -3 with backoff, times out each attempt, and runs
 * wherever `fetch` does (Node 20, browsers, Deno, workers). Every command
 * carries an `Idempotency-Key` (one per logical call, the same on each of its
 * retries), so a command is retried after a lost answer too: the server runs
 * it once and answers the repeat with the first answer.
 */
import { BatonApiError, BatonNetworkError } from './errors.js';
import {
  encodeParams,
  functions,
  type ListPageParams,
  type BatonFunctions,
  type FunctionName,
  type ParamsOf,
  type ResultOf,
} from './functions.js';
import type { Conference, ConferenceList, Envelope, ObjectTypes } from './types.js';

/** The five list functions, which read page by page. */
export type ListFunctionName =
  | 'getActiveConference'
  | 'getUpcomingConference'
  | 'getPossibleConference'
  | 'getExpiredConference'
  | 'getCanceledConference';
import { parseEnvelopeXml } from './xml.js';

/** The `fetch` the client calls: the global one, or any compatible function. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface RetryOptions {
  /** Attempts in all, the first included. Default 3; 1 turns retrying off. */
  attempts?: number;
  /** Delay before the first retry, doubled each time (with jitter). Default 250 ms. */
  baseDelayMs?: number;
  /** Longest delay between attempts. Default 4000 ms. */
  maxDelayMs?: number;
}

export interface BatonClientOptions {
  /** The server, e.g. `http://127.0.0.1:8080` (without `/_access`). */
  baseUrl: string;
  /** Customer UID. */
  customer: string;
  /** API key. */
  key: string;
  /** Answer format on the wire. Default `json`; `xml` parses XML with the same shape rules. */
  format?: 'json' | 'xml';
  /** Timeout of each attempt in ms; 0 for none. Default 30000. */
  timeoutMs?: number;
  retry?: RetryOptions;
  /**
   * HTTP method of information functions. Default `POST`, which keeps the key out of URLs (and so out of
   * access logs); `GET` puts every parameter, the key included, in the query string.
   */
  informationMethod?: 'GET' | 'POST';
  /** Default: the global fetch. */
  fetch?: FetchLike;
  /**
   * Largest answer read, in bytes. Default 64 MiB (a list of 1,000 conferences is about 2 MB). A longer
   * one is refused as "bad-response" once that much has come, instead of holding whatever a server (or
   * something posing as one) sends until memory runs out.
   */
  maxResponseBytes?: number;
}

/** Options of one call. */
export interface RequestOptions {
  /** Cancels the call (and any retry wait). */
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
  /**
   * Commands only: the Idempotency-Key to send (1–255 visible ASCII characters).
   * Default: a random UUID per call. Pass your own (an order number, a key kept
   * in your database) to make a repeat safe across restarts of your program.
   */
  idempotencyKey?: string;
}

/**
 * The longest delay a timer can take (2^31 − 1 ms, about 24.8 days): Node fires a longer one after
 * 1 ms (with a TimeoutOverflowWarning), so a timeout of "a very long time" would time out at once.
 */
const longestTimerMs = 2_147_483_647;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(ms, longestTimerMs),
    );
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** A typed client of the Conference Management API. */
export class BatonClient {
  readonly #baseUrl: string;
  readonly #customer: string;
  readonly #key: string;
  readonly #format: 'json' | 'xml';
  readonly #timeoutMs: number;
  readonly #retry: Required<RetryOptions>;
  readonly #fetch: FetchLike;
  readonly #informationMethod: 'GET' | 'POST';
  readonly #maxResponseBytes: number;

  constructor(options: BatonClientOptions) {
    if (!options.baseUrl) throw new TypeError('BatonClient: baseUrl is required');
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#customer = options.customer;
    this.#key = options.key;
    this.#format = options.format ?? 'json';
    this.#informationMethod = options.informationMethod ?? 'POST';
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
    this.#retry = {
      attempts: Math.max(1, Math.floor(options.retry?.attempts ?? 3)),
      baseDelayMs: options.retry?.baseDelayMs ?? 250,
      maxDelayMs: options.retry?.maxDelayMs ?? 4000,
    };
    const globalFetch = globalThis.fetch as FetchLike | undefined;
    const chosen = options.fetch ?? (globalFetch ? globalFetch.bind(globalThis) : undefined);
    if (!chosen) throw new TypeError('BatonClient: no fetch available; pass options.fetch');
    this.#fetch = chosen;
  }

  /**
   * Calls a function and returns the whole envelope (`message` included — createConferenceReserved
   * names skipped reservation items there). Throws BatonApiError for a non-zero code.
   */
  async callEnvelope<N extends FunctionName>(
    name: N,
    params: ParamsOf<N>,
    options: RequestOptions = {},
  ): Promise<Envelope<ResultOf<N>> & { value: ResultOf<N> }> {
    const info = functions[name];
    if (!info) throw new TypeError(`BatonClient: unknown function "${String(name)}"`);
    const fields = new URLSearchParams({
      customer: this.#customer,
      key: this.#key,
      type: this.#format,
      ...encodeParams(name, params as object),
    });
    // One key for the logical call, reused by each retry: the server then runs a command once.
    const idempotencyKey = info.kind === 'command' ? (options.idempotencyKey ?? randomKey()) : undefined;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= this.#retry.attempts;
      let envelope: Envelope<unknown>;
      try {
        envelope = await this.#send(name, info.kind, info.result, fields, options, idempotencyKey);
      } catch (error) {
        // Safe to repeat after a lost answer: an information function changes nothing, and a
        // command's repeat carries its key.
        const repeatable =
          error instanceof BatonNetworkError && (error.failure === 'network' || error.failure === 'timeout');
        if (!repeatable || last) throw error;
        await this.#pause(name, attempt, options.signal);
        continue;
      }
      if (envelope.code === 0) return envelope as Envelope<ResultOf<N>> & { value: ResultOf<N> };
      // -3: "call can probably be retried" (spec).
      if (envelope.code === -3 && !last) {
        await this.#pause(name, attempt, options.signal);
        continue;
      }
      throw new BatonApiError(name, envelope.code, envelope.message);
    }
  }

  /** Calls a function by name and returns its value. */
  async call<N extends FunctionName>(name: N, params: ParamsOf<N>, options?: RequestOptions): Promise<ResultOf<N>> {
    return (await this.callEnvelope(name, params, options)).value;
  }

  async #pause(name: FunctionName, attempt: number, signal: AbortSignal | undefined): Promise<void> {
    const exponential = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attempt - 1));
    try {
      await sleep(exponential * (0.5 + Math.random() / 2), signal);
    } catch (reason) {
      throw new BatonNetworkError(name, 'aborted', `${name}: aborted`, { cause: reason });
    }
  }

  async #send(
    name: FunctionName,
    kind: 'information' | 'command',
    result: keyof ObjectTypes,
    fields: URLSearchParams,
    options: RequestOptions,
    idempotencyKey: string | undefined,
  ): Promise<Envelope<unknown>> {
    const target = `${this.#baseUrl}/_access/${name}`;
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(
            () => {
              timedOut = true;
              controller.abort();
            },
            Math.min(timeoutMs, longestTimerMs),
          )
        : undefined;
    const onAbort = () => controller.abort();
    if (options.signal?.aborted) controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const failure = (error: unknown): never => {
      if (timedOut)
        throw new BatonNetworkError(name, 'timeout', `${name}: no answer within ${timeoutMs} ms`, { cause: error });
      if (options.signal?.aborted) throw new BatonNetworkError(name, 'aborted', `${name}: aborted`, { cause: error });
      const why =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new BatonNetworkError(name, 'network', `${name}: cannot reach ${this.#baseUrl} (${why})`, { cause: error });
    };
    try {
      let response: Response;
      try {
        response =
          kind === 'information' && this.#informationMethod === 'GET'
            ? await this.#fetch(`${target}?${fields.toString()}`, { method: 'GET', signal: controller.signal })
            : // `type` in the query too: an answer given before the body is read (413) still comes as JSON.
              await this.#fetch(`${target}?type=${this.#format}`, {
                method: 'POST',
                headers: {
                  'content-type': 'application/x-www-form-urlencoded',
                  ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
                },
                body: fields.toString(),
                signal: controller.signal,
              });
      } catch (error) {
        return failure(error);
      }
      let text: string | null;
      try {
        text = await readBounded(response, this.#maxResponseBytes);
      } catch (error) {
        return failure(error);
      }
      if (text === null) {
        throw new BatonNetworkError(
          name,
          'bad-response',
          `${name}: the answer from ${target} is larger than ${this.#maxResponseBytes} bytes`,
          { status: response.status },
        );
      }
      const envelope = this.#format === 'json' ? readJsonEnvelope(text) : readXmlEnvelope(text, result);
      if (!envelope) {
        throw new BatonNetworkError(
          name,
          'bad-response',
          `${name}: HTTP ${response.status} from ${target} without an API envelope`,
          { status: response.status },
        );
      }
      return envelope;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  // ---- Information requests ----

  /** The calling customer. */
  getCustomer(options?: RequestOptions) {
    return this.call('getCustomer', {}, options);
  }
  /** Conferences with a live call (ACTIVE). */
  getActiveConference(params: ListPageParams = {}, options?: RequestOptions) {
    return this.call('getActiveConference', params, options);
  }
  /** Conferences whose next reservation is ahead (SCHED), soonest first. */
  getUpcomingConference(params: ListPageParams = {}, options?: RequestOptions) {
    return this.call('getUpcomingConference', params, options);
  }
  /** Conferences that could start now (IDLE). */
  getPossibleConference(params: ListPageParams = {}, options?: RequestOptions) {
    return this.call('getPossibleConference', params, options);
  }
  /** Conferences whose reservations have all ended (CLOSED). */
  getExpiredConference(params: ListPageParams = {}, options?: RequestOptions) {
    return this.call('getExpiredConference', params, options);
  }
  /** Canceled conferences (CANCEL). */
  getCanceledConference(params: ListPageParams = {}, options?: RequestOptions) {
    return this.call('getCanceledConference', params, options);
  }
  /** A conference, with persons, reservations and calls as UIDs. */
  getConference(params: ParamsOf<'getConference'>, options?: RequestOptions) {
    return this.call('getConference', params, options);
  }
  /** A conference with its customer, persons and reservations in full. */
  getConferenceData(params: ParamsOf<'getConferenceData'>, options?: RequestOptions) {
    return this.call('getConferenceData', params, options);
  }
  /** A reservation. */
  getConferenceReservation(params: ParamsOf<'getConferenceReservation'>, options?: RequestOptions) {
    return this.call('getConferenceReservation', params, options);
  }
  /** A past call (an active one is refused with -2). */
  getCall(params: ParamsOf<'getCall'>, options?: RequestOptions) {
    return this.call('getCall', params, options);
  }
  /** A past call and its callers. */
  getCallData(params: ParamsOf<'getCallData'>, options?: RequestOptions) {
    return this.call('getCallData', params, options);
  }

  /** Events after a sequence number (or a cursor), in order: for polling and catching up. */
  getEvents(params: ParamsOf<'getEvents'> = {}, options?: RequestOptions) {
    return this.call('getEvents', params, options);
  }
  /** The webhook endpoints with their delivery state. */
  getWebhooks(options?: RequestOptions) {
    return this.call('getWebhooks', {}, options);
  }
  /**
   * Every conference of a list, read page by page (`limit` at a time, default
   * 1000) so a list past 1,000 is read to its end.
   */
  async *listAll(
    name: ListFunctionName,
    params: { limit?: number } = {},
    options?: RequestOptions,
  ): AsyncGenerator<Conference, void, undefined> {
    let cursor: string | undefined;
    // A server that names a page it gave before would be read forever: refused instead.
    const seen = new Set<string>();
    do {
      const page: ConferenceList = await this.call(name, { limit: params.limit ?? 1000, cursor }, options);
      if (!Array.isArray(page?.conference)) {
        throw new BatonNetworkError(name, 'bad-response', `${name}: the answer holds no list of conferences`);
      }
      yield* page.conference;
      cursor = page.nextCursor;
      if (cursor !== undefined) {
        if (seen.has(cursor)) {
          throw new BatonNetworkError(
            name,
            'bad-response',
            `${name}: the server gave a nextCursor it had given before; the list would never end`,
          );
        }
        seen.add(cursor);
      }
    } while (cursor !== undefined);
  }

  // ---- Command requests ----

  /** Sets one customer field. */
  updateCustomer(params: ParamsOf<'updateCustomer'>, options?: RequestOptions) {
    return this.call('updateCustomer', params, options);
  }
  /** Creates a conference that can start at any time. */
  createConferenceReservationless(params: ParamsOf<'createConferenceReservationless'> = {}, options?: RequestOptions) {
    return this.call('createConferenceReservationless', params, options);
  }
  /** Creates a conference with reservations (code 1 when none is valid). */
  createConferenceReserved(params: ParamsOf<'createConferenceReserved'>, options?: RequestOptions) {
    return this.call('createConferenceReserved', params, options);
  }
  /** Adds a reservation to a reserved conference (codes 1–4). */
  addConferenceReservation(params: ParamsOf<'addConferenceReservation'>, options?: RequestOptions) {
    return this.call('addConferenceReservation', params, options);
  }
  /** Registers a person and gives them a dial-in PIN. */
  addPerson(params: ParamsOf<'addPerson'>, options?: RequestOptions) {
    return this.call('addPerson', params, options);
  }
  /** Sets one person field. */
  updatePerson(params: ParamsOf<'updatePerson'>, options?: RequestOptions) {
    return this.call('updatePerson', params, options);
  }
  /** Removes a person from a conference. */
  removePerson(params: ParamsOf<'removePerson'>, options?: RequestOptions) {
    return this.call('removePerson', params, options);
  }
  /** Changes a reservation's start, duration or estimated callers (codes 1–4). */
  updateConferenceReservation(params: ParamsOf<'updateConferenceReservation'>, options?: RequestOptions) {
    return this.call('updateConferenceReservation', params, options);
  }
  /** Removes a future reservation (codes 1–4). */
  removeConferenceReservation(params: ParamsOf<'removeConferenceReservation'>, options?: RequestOptions) {
    return this.call('removeConferenceReservation', params, options);
  }
  /** Cancels a conference. */
  cancelConference(params: ParamsOf<'cancelConference'>, options?: RequestOptions) {
    return this.call('cancelConference', params, options);
  }
  /** Sets one conference field (codes 1–2). */
  updateConference(params: ParamsOf<'updateConference'>, options?: RequestOptions) {
    return this.call('updateConference', params, options);
  }
  /** Sets (or, with an empty value, removes) a custom value. */
  updateCustomValue(params: ParamsOf<'updateCustomValue'>, options?: RequestOptions) {
    return this.call('updateCustomValue', params, options);
  }
  /** Adds a webhook endpoint; the answer's `secret` is shown this once. */
  addWebhook(params: ParamsOf<'addWebhook'>, options?: RequestOptions) {
    return this.call('addWebhook', params, options);
  }
  /** Changes a webhook endpoint (enabled: true resumes a disabled one). */
  updateWebhook(params: ParamsOf<'updateWebhook'>, options?: RequestOptions) {
    return this.call('updateWebhook', params, options);
  }
  /** Removes a webhook endpoint. */
  removeWebhook(params: ParamsOf<'removeWebhook'>, options?: RequestOptions) {
    return this.call('removeWebhook', params, options);
  }
}

/** Compile-time check: the client has a method for every function. */
type MissingMethods = Exclude<FunctionName, keyof BatonClient>;
const everyFunctionHasAMethod: MissingMethods extends never ? true : MissingMethods = true;
void everyFunctionHasAMethod;
export type { BatonFunctions };

/** A fresh idempotency key: a random UUID (Web Crypto, in Node 20 and every browser). */
function randomKey(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * The answer's text, or null when it is longer than `limit` bytes (read no further). Through the body's
 * stream where there is one, so a longer answer is never held whole.
 */
async function readBounded(response: Response, limit: number): Promise<string | null> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    return null;
  }
  if (!response.body) return response.text();
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    read += value.byteLength;
    if (read > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** The envelope's code: a JSON number, or a whole number written as a string (the spec's own example: `"code":"0"`). */
function envelopeCode(code: unknown): number | null {
  if (typeof code === 'number') return Number.isInteger(code) ? code : null;
  if (typeof code === 'string' && /^-?\d{1,9}$/.test(code.trim())) return Number(code.trim());
  return null;
}

function readJsonEnvelope(text: string): Envelope<unknown> | null {
  try {
    const parsed = JSON.parse(text) as Partial<Envelope<unknown>> | null;
    const code = parsed && typeof parsed === 'object' ? envelopeCode(parsed.code) : null;
    if (parsed && code !== null) {
      return {
        message: typeof parsed.message === 'string' ? parsed.message : '',
        value: code === 0 ? (parsed.value ?? null) : null,
        code,
      };
    }
  } catch {
    // not JSON: fall through
  }
  return null;
}

function readXmlEnvelope(text: string, result: keyof ObjectTypes): Envelope<unknown> | null {
  try {
    return parseEnvelopeXml(text, result);
  } catch {
    return null;
  }
}
