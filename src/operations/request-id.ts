/**
 * Request ids: the one a trusted proxy sends in `X-Request-Id` when it is
 * well formed, otherwise one of our own. Ours are a per-process prefix and a
 * counter — unique across processes and restarts without drawing random bytes
 * on every request (this runs on the hot path).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Longest id accepted from a proxy; longer ones are replaced, never cut. */
export const maxRequestIdLength = 128;
const acceptable = /^[A-Za-z0-9._:-]+$/;

/** Whether `id` may be used as it came: bounded length, and only characters that are safe in logs and headers. */
export function isAcceptableRequestId(id: string): boolean {
  return id.length > 0 && id.length <= maxRequestIdLength && acceptable.test(id);
}

/** Makes request ids for one process: `<prefix>-<counter>`. */
export function requestIdGenerator(): () => string {
  // 8 random hex characters tell processes (and restarts) apart.
  const prefix = `${randomBytes(4).toString('hex')}-`;
  let counter = 0;
  return () => prefix + (++counter).toString(36);
}

/**
 * The request id of a request that sent `header` as X-Request-Id from the
 * socket peer `peer`: the header when it is well formed and the peer a
 * trusted proxy (anyone else could forge log correlation), else a fresh id.
 * For a front that has the raw head rather than an IncomingMessage.
 */
export type RequestIdOf = (header: string | string[] | undefined, peer: string | undefined) => string;

/** The request ids of one process, from a request's X-Request-Id and socket peer (see RequestIdOf). */
export function requestIdFromParts(
  isTrustedPeer: (address: string) => boolean,
  next: () => string = requestIdGenerator(),
): RequestIdOf {
  return (header, peer) => {
    if (typeof header === 'string' && isAcceptableRequestId(header)) {
      if (peer !== undefined && isTrustedPeer(peer)) return header;
    }
    return next();
  };
}

/**
 * Fastify's `genReqId`: takes a well-formed `X-Request-Id` when the socket
 * peer is a trusted proxy (anyone else could forge log correlation), else a
 * fresh id. `parts` shares its counter with a front that reads raw heads.
 */
export function requestIdFromProxy(
  isTrustedPeer: (address: string) => boolean,
  next: () => string = requestIdGenerator(),
  parts: RequestIdOf = requestIdFromParts(isTrustedPeer, next),
): (request: IncomingMessage) => string {
  return (request) => parts(request.headers['x-request-id'], request.socket?.remoteAddress);
}
