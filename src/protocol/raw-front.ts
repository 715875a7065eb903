/**
 * The raw-socket front of /_access. node:http builds an IncomingMessage and
 * a ServerResponse for every request, parses each header into an object and
 * validates every header it writes: on a cached read that is the largest
 * piece left. This front reads a connection's bytes itself and answers a
 * request only when it is complete in them and strictly ordinary (below),
 * through the node:http front's own pieces (`functionIn`, `begin`, `call`,
 * `headerList`, `record`), writing exactly the bytes node:http would: the
 * status line, the front's header list, then `Date`, `Connection:
 * keep-alive` and `Keep-Alive: timeout=N` as node:http appends them.
 *
 * Ordinary: `GET` or `POST` to a registered function, `HTTP/1.1`, CRLF
 * lines, visible ASCII only, one `Host`, at most one `Content-Length`, no
 * `Transfer-Encoding`, `Expect` or `Upgrade`, no `Connection` other than
 * `keep-alive`, no repeated header the answer reads, a head under 8 KB, a
 * body kind the front reads (`bodyKindOf`), the server not closing.
 *
 * Anything else is handed to node:http with every byte not yet answered,
 * after the answers owed on the connection (they are already in the socket's
 * write queue, so node:http's come after them), and the connection is
 * node:http's from then on: every unusual or hostile request gets exactly
 * the answer it got before. node:http's connection listener normally makes
 * its C++ parser read the socket's handle directly (`parser.consume`), which
 * would skip bytes already read here; it does that only for a handle not yet
 * consumed, so the handle is marked consumed first and node:http reads the
 * socket's 'data' events instead (its path for any stream it cannot
 * consume), the bytes not answered here given to it first, synchronously,
 * before the socket flows again.
 */
import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AccessAnswer } from './access-pipeline.js';
import { bodyKindOf, type AccessFront, type AccessFrontBinding, type BodyKind } from './access-front.js';
import { isPromise } from '../maybe-promise.js';

/** A head this long or longer is node:http's (its own limit is 16 KiB). */
const headLimit = 8192;
/** More header lines than this are node:http's: it keeps only the first 2,000 (`maxHeadersCount`). */
const headerLineLimit = 1000;
/** What node:http adds to `keepAliveTimeout` for the socket's own idle timeout (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER). */
const keepAliveBuffer = 1000;
/**
 * A cached answer's bytes up to this size are copied after the head into one Buffer and written at once; a
 * larger one is written beside the head (writev), not copied.
 */
const joinedBodyLimit = 16384;

const requestLine = /^(GET|POST) (\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*) HTTP\/1\.1$/;
/**
 * A header name's characters (RFC 9110's tchar: `!#$%&'*+-.^_\`|~`, digits and letters), as a table by
 * character code. A header line is its name, a colon at once, then its value with the spaces around it
 * dropped: `/^([tchar]+):[ ]*(.*?)[ ]*$/`, read without a regular expression (raw-front.test.ts compares).
 */
const tokenChar = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  tokenChar[c.charCodeAt(0)] = 1;
const colon = 0x3a;
const space = 0x20;
/** A byte node:http may read otherwise than here: anything but visible ASCII, space, CR and LF; a CR or LF alone. */
const unusualByte = /[^\x20-\x7e\r\n]|\r(?!\n)|(?<!\r)\n/;

/**
 * node:http's Date header value: the time as `toUTCString` gives it, kept
 * until the next second begins (node's utcDate, which is internal).
 */
let utcCache: string | undefined;
function utcDate(): string {
  if (utcCache === undefined) {
    const now = new Date();
    utcCache = now.toUTCString();
    setTimeout(() => {
      utcCache = undefined;
    }, 1000 - now.getMilliseconds()).unref();
  }
  return utcCache;
}

const statusLines = new Map<number, string>();
function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
    statusLines.set(status, line);
  }
  return line;
}

/** An ordinary request whose head has been read: what its answer needs from it. */
interface Head {
  method: 'GET' | 'POST';
  url: string;
  fnName: string;
  kind: BodyKind;
  bodyLength: number;
  requestId: string | undefined;
  idempotencyKey: string | undefined;
  forwardedFor: string | undefined;
}

/** The one answer a head can get here: ordinary (its parts), or node:http's. */
type Parsed = Head | 'node';

type Listener = (socket: Socket) => void;

/** The raw front of one node:http server (`installRawFront`). */
export class RawFront {
  /** Requests answered here: tests read it to know which front answered. */
  answered = 0;
  /** Connections handed to node:http. */
  handedOver = 0;
  readonly connections = new Set<RawConnection>();

  constructor(
    readonly server: Server,
    readonly front: AccessFront,
    readonly nodeListener: Listener,
  ) {}

  /**
   * The head in `text` (the bytes before the blank line, latin1), parsed,
   * or 'node' when node:http must answer it.
   */
  parseHead(text: string, binding: AccessFrontBinding): Parsed {
    if (unusualByte.test(text)) return 'node';
    // Read line by line in place (no array of lines, no match per header): the bytes are visible ASCII and
    // spaces with CRLF line ends (unusualByte), so a line is `text` between two CRLFs.
    let lineEnd = text.indexOf('\r\n');
    const first = requestLine.exec(lineEnd < 0 ? text : text.slice(0, lineEnd));
    if (first === null) return 'node';
    const method = first[1] as 'GET' | 'POST';
    const url = first[2]!;
    const fnName = this.front.functionIn(url);
    if (fnName === undefined) return 'node';
    let host = 0;
    let length: string | undefined;
    let type: string | undefined;
    let requestId: string | undefined;
    let idempotencyKey: string | undefined;
    let forwardedFor: string | undefined;
    let lines = 1;
    while (lineEnd >= 0) {
      if (++lines > headerLineLimit) return 'node';
      const start = lineEnd + 2;
      lineEnd = text.indexOf('\r\n', start);
      const end = lineEnd < 0 ? text.length : lineEnd;
      // The name: one or more token characters, then the colon at once.
      let nameEnd = start;
      while (nameEnd < end && tokenChar[text.charCodeAt(nameEnd)] === 1) nameEnd++;
      if (nameEnd === start || nameEnd === end || text.charCodeAt(nameEnd) !== colon) return 'node';
      // The value: without the spaces around it.
      let valueStart = nameEnd + 1;
      while (valueStart < end && text.charCodeAt(valueStart) === space) valueStart++;
      let valueEnd = end;
      while (valueEnd > valueStart && text.charCodeAt(valueEnd - 1) === space) valueEnd--;
      switch (text.slice(start, nameEnd).toLowerCase()) {
        case 'host':
          if (++host > 1) return 'node';
          break;
        case 'content-length':
          if (length !== undefined) return 'node';
          length = text.slice(valueStart, valueEnd);
          break;
        case 'content-type':
          if (type !== undefined) return 'node';
          type = text.slice(valueStart, valueEnd);
          break;
        case 'x-request-id':
          if (requestId !== undefined) return 'node';
          requestId = text.slice(valueStart, valueEnd);
          break;
        case 'idempotency-key':
          if (idempotencyKey !== undefined) return 'node';
          idempotencyKey = text.slice(valueStart, valueEnd);
          break;
        case 'x-forwarded-for':
          if (forwardedFor !== undefined) return 'node';
          forwardedFor = text.slice(valueStart, valueEnd);
          break;
        case 'connection':
          if (text.slice(valueStart, valueEnd).toLowerCase() !== 'keep-alive') return 'node';
          break;
        case 'transfer-encoding':
        case 'content-encoding':
        case 'expect':
        case 'upgrade':
        case 'proxy-connection':
        case 'keep-alive':
          return 'node';
        default:
          break;
      }
    }
    if (host !== 1) return 'node';
    const kind = bodyKindOf(method, undefined, length, type, this.front.bodyLimit);
    if (kind === null || binding.isClosing()) return 'node';
    return {
      method,
      url,
      fnName,
      kind,
      bodyLength: kind === 'none' ? 0 : Number(length ?? 0),
      requestId,
      idempotencyKey,
      forwardedFor,
    };
  }

  /** Destroys the connections with nothing under way (server.closeIdleConnections). */
  closeIdle(): void {
    for (const connection of this.connections) if (connection.idle) connection.socket.destroy();
  }

  /** Destroys every connection (server.closeAllConnections). */
  closeAll(): void {
    for (const connection of this.connections) connection.socket.destroy();
  }
}

/** One connection the raw front reads, until it closes or is handed to node:http. */
export class RawConnection {
  /** Bytes read and not yet answered (undefined: none). */
  private buffered: Buffer | undefined;
  /** How much of `buffered`, of a head not yet complete, was checked for unusual bytes. */
  private checked = 0;
  /** Chunks of a body not yet complete, read after `buffered` (joined once the body is complete), and their size. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** The head of the request whose body is being read, and its length in `buffered`. */
  private head: Head | undefined;
  private headLength = 0;
  private begun: { id: string; started: number } | undefined;
  /** An answer is under way (the pipeline's promise): nothing else is read meanwhile. */
  private pending = false;
  /** The socket's write buffer is full: nothing else is answered until it drains. */
  private blocked = false;
  /** The client ended its side. */
  private ended = false;
  private done = false;
  private keepAliveSet = false;
  /** The headers/request timeout of a request not yet complete. */
  private timer: NodeJS.Timeout | undefined;
  /** When the first byte of the request not yet complete was read (for its timeouts). */
  private since = 0;

  private readonly onData = (chunk: Buffer) => this.guarded(() => this.data(chunk));
  private readonly onEnd = () => this.guarded(() => this.end());
  private readonly onDrain = () => this.guarded(() => this.drain());
  private readonly onTimeout = () => this.timeout();
  private readonly onError = () => this.socket.destroy();
  private readonly onClose = () => this.close();

  constructor(
    private readonly raw: RawFront,
    readonly socket: Socket,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('drain', this.onDrain);
    socket.on('timeout', this.onTimeout);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    if (raw.server.timeout) socket.setTimeout(raw.server.timeout);
  }

  /** Nothing under way: no request begun, no answer pending (what closeIdleConnections may close). */
  get idle(): boolean {
    return !this.pending && this.buffered === undefined && this.head === undefined;
  }

  private data(chunk: Buffer): void {
    const head = this.head;
    if (head !== undefined && this.buffered !== undefined) {
      // A body's chunks are joined once, when it is complete: joining each as it comes would copy everything
      // read so far for every chunk, quadratic in the body for a client that sends it a byte at a time.
      this.parts.push(chunk);
      this.partBytes += chunk.length;
      if (this.buffered.length + this.partBytes < this.headLength + head.bodyLength) return;
      this.joinParts();
    } else this.buffered = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
    this.work();
  }

  /** Joins the body chunks gathered by `data` to what was read before them. */
  private joinParts(): void {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    this.buffered = this.buffered === undefined ? Buffer.concat(parts) : Buffer.concat([this.buffered, ...parts]);
    this.parts = [];
    this.partBytes = 0;
  }

  /** `step`, where an exception (a bug) is logged and closes the connection rather than escaping. */
  private guarded(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.raw.front.bound?.log.error({ err: error }, 'unhandled exception');
      this.socket.destroy();
    }
  }

  /** Answers the complete requests read, one at a time, in order; hands over at the first that is not ordinary. */
  private work(): void {
    while (!this.pending && !this.blocked && !this.done) {
      const buffered = this.buffered;
      if (buffered === undefined) break;
      const binding = this.raw.front.bound;
      if (binding === undefined) return this.handOver();
      if (this.head === undefined) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) {
          // Not complete: node:http's at once if what is there already is not ordinary (it would answer now).
          if (buffered.length >= headLimit) return this.handOver();
          // A CR last is checked with the LF that should follow it, in the next bytes.
          const upTo = buffered[buffered.length - 1] === 13 ? buffered.length - 1 : buffered.length;
          if (unusualByte.test(buffered.toString('latin1', this.checked, upTo))) return this.handOver();
          this.checked = upTo;
          if (this.timer === undefined) this.since = Date.now();
          this.waitFor(this.raw.server.headersTimeout);
          break;
        }
        if (end + 4 > headLimit) return this.handOver();
        const parsed = this.raw.parseHead(buffered.toString('latin1', 0, end), binding);
        if (parsed === 'node') return this.handOver();
        // The head's bytes stay until the body is read: a request cut short goes to node:http whole.
        this.headLength = end + 4;
        if (this.timer === undefined) this.since = Date.now();
        // The head is complete: from now on node:http's requestTimeout applies (from the request's first byte).
        this.stopWaiting();
        this.checked = 0;
        this.head = parsed;
        if (this.keepAliveSet) {
          // As node:http does once a request's head is read: the keep-alive timeout no longer applies.
          this.socket.setTimeout(this.raw.server.timeout || 0);
          this.keepAliveSet = false;
        }
        // The debug line "request received" at the end of the head, as the node:http front logs it.
        this.begun = this.raw.front.begin(binding, parsed.requestId, this.socket.remoteAddress);
        this.raw.answered++;
      }
      const head = this.head;
      const start = this.headLength;
      if (buffered.length - start < head.bodyLength) {
        this.waitFor(this.raw.server.requestTimeout);
        break;
      }
      const body = head.bodyLength === 0 ? '' : buffered.toString('utf8', start, start + head.bodyLength);
      this.consume(start + head.bodyLength);
      this.head = undefined;
      this.stopWaiting();
      this.answer(binding, head, body);
    }
    if (this.pending || this.blocked) this.socket.pause();
    else if (!this.done) {
      if (!this.ended) this.socket.resume();
      else if (this.buffered === undefined && this.head === undefined) this.finish();
      else this.handOver();
    }
  }

  /** Drops the first `count` bytes of what was read. */
  private consume(count: number): void {
    const buffered = this.buffered;
    if (buffered === undefined || count === 0) return;
    this.buffered = count >= buffered.length ? undefined : buffered.subarray(count);
  }

  private answer(binding: AccessFrontBinding, head: Head, body: string): void {
    const front = this.raw.front;
    const { id, started } = this.begun!;
    this.begun = undefined;
    const query = head.url.indexOf('?');
    const queryText = query < 0 ? '' : head.url.slice(query + 1);
    if (head.kind === 'json') {
      let refused: AccessAnswer | undefined;
      let value: unknown;
      binding.jsonParser(undefined, body, (error, parsed) => {
        if (error) refused = binding.bodyError(error, head.url, id);
        else value = parsed;
      });
      // Fastify closes the connection after refusing a body (the client may still be sending): so does this.
      if (refused !== undefined) return this.write(binding, id, started, refused, true);
      return this.run(binding, head, id, started, front.gather(queryText, undefined, value));
    }
    this.run(binding, head, id, started, front.gather(queryText, head.kind === 'form' ? body : undefined, undefined));
  }

  private run(
    binding: AccessFrontBinding,
    head: Head,
    id: string,
    started: number,
    params: ReturnType<AccessFront['gather']>,
  ): void {
    const answer = this.raw.front.call({
      method: head.method,
      fnName: head.fnName,
      params,
      idempotencyHeader: head.idempotencyKey,
      peerAddress: this.socket.remoteAddress ?? '',
      forwardedFor: head.forwardedFor,
      requestId: id,
    });
    if (!isPromise(answer)) {
      this.writeOrDestroy(binding, id, started, answer);
      return;
    }
    this.pending = true;
    answer.then(
      (settled) => {
        this.pending = false;
        this.writeOrDestroy(binding, id, started, settled);
        this.guarded(() => this.work());
      },
      // The pipeline answers every failure itself: this cannot happen, but must not go unnoticed.
      (error: unknown) => {
        this.pending = false;
        this.writeFailed(binding, id, error);
      },
    );
  }

  private writeOrDestroy(binding: AccessFrontBinding, id: string, started: number, answer: AccessAnswer): void {
    try {
      this.write(binding, id, started, answer, false);
    } catch (error) {
      this.writeFailed(binding, id, error);
    }
  }

  private writeFailed(binding: AccessFrontBinding, id: string, error: unknown): void {
    binding.log.error({ reqId: id, err: error }, 'unhandled exception');
    this.socket.destroy();
  }

  /** Writes the answer as node:http writes the node:http front's (its headers, then Date and Connection). */
  private write(
    binding: AccessFrontBinding,
    id: string,
    started: number,
    answer: AccessAnswer,
    refusedBody: boolean,
  ): void {
    const close = refusedBody || binding.isClosing();
    const headers = this.raw.front.headerList(id, answer, refusedBody, close);
    let text = statusLine(answer.status);
    for (let i = 0; i < headers.length; i += 2) text += headers[i] + ': ' + headers[i + 1] + '\r\n';
    text += 'Date: ' + utcDate() + '\r\n';
    if (!close) {
      text += 'Connection: keep-alive\r\n';
      const keepAlive = this.raw.server.keepAliveTimeout;
      if (keepAlive) text += 'Keep-Alive: timeout=' + Math.floor(keepAlive / 1000) + '\r\n';
    }
    text += '\r\n';
    const socket = this.socket;
    if (!socket.destroyed) {
      let room: boolean;
      const body = answer.body;
      if (typeof body === 'string') room = socket.write(text + body, 'utf8');
      else if (body.length <= joinedBodyLimit) {
        // One Buffer, one write: the stream's writev path (cork, two chunks, uncork) costs more than the copy.
        // The head is visible ASCII (a header value here never holds anything else): one byte a character.
        const bytes = Buffer.allocUnsafe(text.length + body.length);
        bytes.write(text, 0, 'latin1');
        body.copy(bytes, text.length);
        room = socket.write(bytes);
      } else {
        socket.cork();
        socket.write(text, 'latin1');
        room = socket.write(body);
        socket.uncork();
      }
      if (!room) this.blocked = true;
    }
    this.raw.front.record(binding, id, started, answer);
    if (close) {
      // As node:http ends a connection after an answer that says it closes: what else was sent is not read.
      this.done = true;
      this.detach();
      socket.end();
    } else if (this.buffered === undefined && !this.ended) {
      const keepAlive = this.raw.server.keepAliveTimeout;
      if (keepAlive) {
        socket.setTimeout(keepAlive + keepAliveBuffer);
        this.keepAliveSet = true;
      }
    }
  }

  private drain(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.work();
  }

  private end(): void {
    this.ended = true;
    if (this.done) return;
    // What is left is a request not complete: node:http answers a connection ended there.
    if (this.buffered !== undefined || this.head !== undefined) {
      if (!this.pending && !this.blocked) this.handOver();
      return;
    }
    if (!this.pending && !this.blocked) this.finish();
  }

  /** The client ended its side and everything is answered: so does the server (node:http: socket.end). */
  private finish(): void {
    this.done = true;
    this.detach();
    if (this.socket.writable) this.socket.end();
  }

  /** A request not complete waits at most `limit` ms (node:http's headersTimeout / requestTimeout); 0: forever. */
  private waitFor(limit: number): void {
    if (this.timer !== undefined || !limit) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (this.done) return;
        // node:http's own answer to a request too slow (its clientError, then the socket destroyed).
        this.done = true;
        this.detach();
        const error = Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
        const socket = this.socket;
        socket.on('error', () => {});
        if (!this.raw.server.emit('clientError', error, socket)) {
          if (socket.writable) socket.write('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
          socket.destroy(error);
        }
      },
      Math.max(0, limit - (Date.now() - this.since)),
    );
    this.timer.unref();
  }

  private stopWaiting(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private timeout(): void {
    // node:http's socketOnTimeout, for a connection with no request under way.
    if (!this.raw.server.emit('timeout', this.socket)) this.socket.destroy();
  }

  private close(): void {
    this.done = true;
    this.stopWaiting();
    this.raw.connections.delete(this);
  }

  /** Stops listening to the socket (it is node:http's or closing). */
  private detach(): void {
    this.stopWaiting();
    const socket = this.socket;
    socket.removeListener('data', this.onData);
    socket.removeListener('end', this.onEnd);
    socket.removeListener('drain', this.onDrain);
    socket.removeListener('timeout', this.onTimeout);
    socket.removeListener('close', this.onClose);
    this.raw.connections.delete(this);
    if (this.done) return;
    socket.removeListener('error', this.onError);
  }

  /**
   * Gives the connection to node:http, every byte not yet answered first.
   * Only with no answer pending and the write buffer not full, so what is
   * owed is already in the socket's queue, ahead of node:http's answers.
   */
  private handOver(): void {
    const socket = this.socket;
    this.joinParts();
    const rest = this.buffered;
    this.buffered = undefined;
    this.detach();
    this.done = true;
    socket.removeListener('error', this.onError);
    this.raw.handedOver++;
    if (this.keepAliveSet) socket.setTimeout(0);
    socket.pause();
    // Not consumed by node:http's parser from C++ (it would skip `rest` and what the stream holds): node:http
    // then reads the 'data' events, as it does for any stream it cannot consume.
    const handle = (socket as Socket & { _handle?: { _consumed?: boolean } | null })._handle;
    if (handle) handle._consumed = true;
    this.raw.nodeListener.call(this.raw.server, socket);
    if (rest !== undefined) socket.emit('data', rest);
    if (this.ended) socket.emit('end');
    else socket.resume();
  }
}

/**
 * Puts the raw front before node:http's own connection listener on
 * `server`, and makes closeIdleConnections / closeAllConnections reach the
 * connections it reads. Returns undefined (nothing installed) when the
 * server counts requests a socket (maxRequestsPerSocket), which the raw
 * front does not.
 */
export function installRawFront(server: Server, front: AccessFront): RawFront | undefined {
  if (server.maxRequestsPerSocket) return undefined;
  const listeners = server.listeners('connection') as Listener[];
  const nodeListener = listeners.find((listener) => listener.name === 'connectionListener');
  if (nodeListener === undefined) return undefined;
  const raw = new RawFront(server, front, nodeListener);
  server.removeListener('connection', nodeListener);
  server.prependListener('connection', (socket: Socket) => {
    const connection = new RawConnection(raw, socket);
    raw.connections.add(connection);
  });
  const closeIdle = server.closeIdleConnections.bind(server);
  const closeAll = server.closeAllConnections.bind(server);
  server.closeIdleConnections = () => {
    closeIdle();
    raw.closeIdle();
  };
  server.closeAllConnections = () => {
    closeAll();
    raw.closeAll();
  };
  return raw;
}
