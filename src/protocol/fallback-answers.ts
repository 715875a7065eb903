/**
 * The answers for requests no route handler accepts or that fail before one
 * runs: unknown paths, wrong methods, bad percent-encoding, unreadable bodies,
 * NUL characters. Under `/_access` every one is an envelope (clients such as
 * the spec's PHP sample test `code == 0`, and a JSON error without `code`
 * reads as success); the registration pages and the /admin site get an HTML page; everything
 * else a small JSON error. None echoes the query string, which may hold a key.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../context.js';
import { ApiError, GeneralCode, ParameterError } from '../errors.js';
import { sendPublicPage } from '../web/page-headers.js';
import { messagePage } from '../web/registration-pages.js';
import { contentTypes, renderEnvelope, type Format } from './envelope.js';
import { envelopeAnswer, parseFormat, type AccessAnswer } from './access-pipeline.js';
import { sendAccessAnswer, sendEnvelope } from './access-route.js';
import { collectParams } from './request-params.js';

type Area = 'access' | 'page' | 'other';

/** The path of a raw URL, lower-cased, without its query. */
function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return (end < 0 ? url : url.slice(0, end)).toLowerCase();
}

function areaOf(url: string): Area {
  const path = pathOf(url);
  if (path === '/_access' || path.startsWith('/_access/')) return 'access';
  if (path.startsWith('/conference/') || path === '/admin' || path.startsWith('/admin/')) return 'page';
  return 'other';
}

/** The `type` asked for, from the body when it was read, else the query; XML when unreadable. */
function formatOf(request: FastifyRequest): Format {
  const body = request.body as Record<string, unknown> | undefined;
  if (body !== null && typeof body === 'object' && typeof body.type === 'string') {
    return parseFormat(body.type) ?? 'xml';
  }
  return formatOfQuery(request.url);
}

/** The `type` a URL's query asks for; XML when absent or unreadable. */
function formatOfQuery(url: string): Format {
  const query = url.indexOf('?');
  const type = query < 0 ? null : new URLSearchParams(url.slice(query + 1)).get('type');
  return parseFormat(type ?? undefined) ?? 'xml';
}

/**
 * The envelope for an /_access request that failed before the pipeline ran (a
 * body over the limit, malformed JSON, a bug): its HTTP status says why.
 */
export function accessErrorAnswer(
  error: Error & { statusCode?: number },
  format: Format,
  bodyLimit: number,
  requestId: string,
): AccessAnswer {
  const client = clientStatus(error);
  const code = error instanceof ApiError ? error.code : client === null ? GeneralCode.unhandled : GeneralCode.parameter;
  return envelopeAnswer('unknown', format, code, errorMessage(error, bodyLimit, requestId), null, client ?? 500);
}

/** What a request that failed before its handler is told (an envelope's message, or the JSON error). */
function errorMessage(error: Error & { statusCode?: number }, bodyLimit: number, requestId: string): string {
  const client = clientStatus(error);
  if (client === 413) return `request body is larger than ${bodyLimit} bytes`;
  if (client === null) return `unhandled exception; if it persists contact support quoting request ${requestId}`;
  return `malformed request: ${error.message}`;
}

/** The answer the error handler gives a body Fastify's JSON parser refused, for the node:http front. */
export function accessBodyErrorAnswer(
  error: Error & { statusCode?: number },
  url: string,
  bodyLimit: number,
  requestId: string,
): AccessAnswer {
  return accessErrorAnswer(error, formatOfQuery(url), bodyLimit, requestId);
}

/** An HTML error page, with the public pages' headers (not framed, not sniffed, no script). */
function sendPage(reply: FastifyReply, status: number, title: string, text: string): FastifyReply {
  return sendPublicPage(reply, status, messagePage(title, text));
}

/** A client error to answer with `status`: Fastify's own 4xx, or an ApiError (bad input). */
function clientStatus(error: Error & { statusCode?: number }): number | null {
  if (error instanceof ApiError) return 400;
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return error.statusCode;
  return null;
}

/** True when a value (of a parsed body, query or path) holds U+0000 anywhere, names included. */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object' || depth > 32) return false;
  for (const [name, item] of Object.entries(value)) {
    if (name.includes('\u0000') || containsNul(item, depth + 1)) return true;
  }
  return false;
}

/** A 400 that every error handler (the bridge's included) answers with its message. */
function nulError(): ParameterError & { statusCode: number } {
  return Object.assign(new ParameterError('the request must not contain a NUL character'), { statusCode: 400 });
}

/** Registers the fallback answers, the error handler and the NUL guard on the root application. */
export function registerFallbackAnswers(app: FastifyInstance, services: Services): void {
  // PostgreSQL cannot store U+0000 in text: refuse it wherever input enters, before any query runs.
  // /_access refuses it itself, after reading `type`, so its answer comes in the format asked for.
  app.addHook('preValidation', async (request) => {
    const area = areaOf(request.url);
    if (area === 'access') return;
    if (containsNul(request.params) || containsNul(request.query) || containsNul(request.body)) throw nulError();
    // The pages read their forms and queries as text fields: a JSON body and a repeated query name become
    // the same (numbers as text, an array as its last item; a value that is an object is a 400), so no
    // handler meets another type.
    if (area === 'page') {
      request.query = collectParams(request.query, undefined);
      if (request.body !== null && typeof request.body === 'object')
        request.body = collectParams(undefined, request.body);
    }
  });

  app.setNotFoundHandler(async (request, reply) => {
    const area = areaOf(request.url);
    const method = request.method;
    if (area === 'access') {
      const format = formatOf(request);
      if (method !== 'GET' && method !== 'POST' && method !== 'HEAD') {
        reply.header('allow', 'GET, POST');
        return sendEnvelope(
          reply,
          format,
          GeneralCode.parameter,
          `${method} is not supported: use GET or POST`,
          null,
          405,
        );
      }
      return sendEnvelope(
        reply,
        format,
        GeneralCode.parameter,
        'unknown function: call /_access/<functionName> (names of letters only, at most 100 characters)',
        null,
      );
    }
    if (area === 'page') {
      return sendPage(reply, 404, 'Page not found', 'There is nothing at this address. Check the link you were given.');
    }
    return reply.code(404).send({ error: 'Not Found', message: `no route ${method} ${pathOf(request.url)}` });
  });

  // Requests that fail before reaching the API layer (a body over the limit,
  // malformed JSON or multipart) still get an envelope, with an HTTP status that says why.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const client = clientStatus(error);
    const status = client ?? 500;
    if (client === null) request.log.error({ err: error }, 'unhandled exception');
    const area = areaOf(request.url);
    if (area === 'page') {
      return client === null
        ? sendPage(reply, 500, 'Something went wrong', `Please try again in a moment (request ${request.id}).`)
        : status === 413
          ? sendPage(
              reply,
              413,
              'Too much at once',
              `A form may hold at most ${services.config.bodyLimit} bytes; send it in parts.`,
            )
          : sendPage(reply, status, 'Request not understood', 'Please go back, reload the page and try again.');
    }
    if (area === 'other') {
      return reply.code(status).send({ error: errorMessage(error, services.config.bodyLimit, request.id) });
    }
    return sendAccessAnswer(reply, accessErrorAnswer(error, formatOf(request), services.config.bodyLimit, request.id));
  });
}

/**
 * Fastify's `frameworkErrors`: a URL the router cannot decode (`/_access/%zz`,
 * a function name over 100 characters) gets the same answers as any other bad
 * request. The body is not read yet, so the format comes from the query.
 */
export function frameworkErrorAnswer(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const area = areaOf(request.url);
  // The router says so for bad percent-encoding and for a path segment over 100 characters; the body is unread.
  const message = 'malformed request: the URL has bad percent-encoding or a path segment over 100 characters';
  if (area === 'access') void sendEnvelope(reply, formatOf(request), GeneralCode.parameter, message, null, 400);
  else if (area === 'page') void sendPage(reply, 400, 'Request not understood', 'This address is not valid.');
  else void reply.code(error.statusCode && error.statusCode < 500 ? error.statusCode : 400).send({ error: message });
}

/** What Node's HTTP parser hands a `clientError` listener. */
type ClientError = Error & { code?: string; rawPacket?: unknown };

/**
 * The answer to a request Node's HTTP parser refused (headers over the limit,
 * a broken request line or header): Fastify's own small JSON error, except
 * under /_access, where it is an envelope with code -2 (DESIGN.md: a request
 * that never reaches the API may get another HTTP status, but still gets an
 * envelope), as JSON when the query that was read asks for it. The bytes
 * that were read say the path; the connection is closed after the answer,
 * as Node does. A timeout or a reset connection is left as Fastify leaves it.
 */
export function clientErrorHandler(this: FastifyInstance, error: ClientError, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const overflow = error.code === 'HPE_HEADER_OVERFLOW';
  // A body cut short (the client ended its side before the Content-Length or the last chunk) has no
  // raw packet: its request line was parsed already, so the request being read names the path.
  const truncated = error.code === 'HPE_INVALID_EOF_STATE';
  const target = Buffer.isBuffer(error.rawPacket)
    ? requestTarget(error.rawPacket)
    : truncated
      ? requestInProgress(socket)
      : null;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || target === null || areaOf(target) !== 'access') {
    defaultClientError.call(this, error, socket);
    return;
  }
  this.log.trace({ err: error }, `client ${overflow ? 'header_overflow' : 'error'}`);
  const status = overflow ? 431 : 400;
  const message = overflow
    ? 'malformed request: the request line and headers are over 16 KiB; send the parameters in a POST body'
    : truncated
      ? 'malformed request: the connection ended before the whole body its headers announce was sent'
      : 'malformed request: Node could not parse the request line or a header';
  const format = formatOfQuery(target);
  const body = Buffer.from(renderEnvelope(format, GeneralCode.parameter, message, null));
  if (socket.writable && !answerStarted(socket)) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${body.length}\r\n` +
        `Content-Type: ${contentTypes[format]}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n`,
    );
    socket.write(body);
  }
  socket.destroy(error);
}

/** Fastify's answer to a refused request (the same text and status as its default handler). */
function defaultClientError(this: FastifyInstance, error: ClientError, socket: Duplex): void {
  const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const overflow = error.code === 'HPE_HEADER_OVERFLOW';
  const status = timeout ? 408 : overflow ? 431 : 400;
  const text = timeout ? 'Client Timeout' : overflow ? 'Exceeded maximum allowed HTTP header size' : 'Client Error';
  const body = `{"error":"${STATUS_CODES[status]}","message":"${text}","statusCode":${status}}`;
  this.log.trace({ err: error }, `client ${timeout ? 'timeout' : overflow ? 'header_overflow' : 'error'}`);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${body.length}\r\n` +
        `Content-Type: application/json\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * The body of an answer to a request no route sees: under /_access an envelope with code -2 (in the
 * `type` the query asks for), elsewhere Fastify's small JSON error.
 */
function bareAnswer(target: string, status: number, accessMessage: string): { type: string; body: string } {
  if (target.startsWith('/') && areaOf(target) === 'access') {
    const format = formatOfQuery(target);
    return { type: contentTypes[format], body: renderEnvelope(format, GeneralCode.parameter, accessMessage, null) };
  }
  const text = status === 405 ? 'Method Not Allowed' : 'Client Error';
  return {
    type: 'application/json; charset=utf-8',
    body: `{"error":"${STATUS_CODES[status]}","message":"${text}","statusCode":${status}}`,
  };
}

/**
 * The http server's `connect` listener: a CONNECT request (this is no proxy) gets 405 with
 * `Allow: GET, POST`, as PUT or DELETE do; without a listener Node closes the connection unanswered.
 */
export function connectRequestAnswer(request: IncomingMessage, socket: Duplex): void {
  const { type, body } = bareAnswer(request.url ?? '', 405, 'CONNECT is not supported: use GET or POST');
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 405 ${STATUS_CODES[405]}\r\nAllow: GET, POST\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: ${type}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  } else socket.destroy();
}

/**
 * The http server's `checkContinue` listener: `Expect: 100-continue` is answered `100 Continue`, then the
 * request handled, unless its Content-Length is over the body limit: then the 413 envelope comes at
 * once and the client is not invited to send a body that would be refused (RFC 9110 §10.1.1).
 */
export function continueUnlessTooLarge(
  listener: (request: IncomingMessage, response: ServerResponse) => void,
  bodyLimit: number,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const length = request.headers['content-length'];
    if (length === undefined || !/^\d+$/.test(length) || Number(length) <= bodyLimit) response.writeContinue();
    listener(request, response);
  };
}

/**
 * An HTTP/1.1 request without a Host header: 400 (RFC 9112 §3.2), with an envelope under /_access.
 * The server is made with `requireHostHeader: false` so that this answers it, not Node's empty 400.
 * True when it answered.
 */
export function refuseMissingHost(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.headers.host !== undefined || request.httpVersionMajor !== 1 || request.httpVersionMinor !== 1) {
    return false;
  }
  const { type, body } = bareAnswer(
    request.url ?? '',
    400,
    'malformed request: an HTTP/1.1 request needs a Host header',
  );
  // The body, if any, is left unread: the connection closes after the answer, as Node's own 400 did.
  response.shouldKeepAlive = false;
  response
    .writeHead(400, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      connection: 'close',
    })
    .end(body);
  return true;
}

/** What node:http keeps on a server socket (not public API: both are read only when present). */
interface ServerSocket {
  /** The parser of the connection, with the request whose headers it has read and whose body it is reading. */
  parser?: { incoming?: { url?: unknown } | null } | null;
  /** The response that owns the connection now. */
  _httpMessage?: { headersSent?: boolean } | null;
}

/** The target of the request whose body the connection was carrying, or null. */
function requestInProgress(socket: Duplex): string | null {
  const url = (socket as Duplex & ServerSocket).parser?.incoming?.url;
  return typeof url === 'string' && url.startsWith('/') ? url : null;
}

/** True when a response has begun on the connection already: a second answer would corrupt it. */
function answerStarted(socket: Duplex): boolean {
  return (socket as Duplex & ServerSocket)._httpMessage?.headersSent === true;
}

/** The target of the request line among the bytes read (`GET /_access/x?… HTTP/1.1`), or null. */
function requestTarget(raw: Buffer): string | null {
  const end = raw.indexOf(0x0a);
  const line = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  const target = line.split(' ')[1];
  return target !== undefined && target.startsWith('/') ? target : null;
}
