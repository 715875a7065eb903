/**
 * /_access/<function> on Fastify: the route for the requests the node:http
 * front (access-front.ts) hands over — multipart and other bodies, chunked
 * bodies, requests while closing — and the envelope writer for Fastify's own
 * answers (fallback-answers.ts). The protocol's rules live in the pipeline
 * (access-pipeline.ts); this only gathers parameters and writes the answer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ParameterError } from '../errors.js';
import { envelopeAnswer, type AccessAnswer, type AccessPipeline } from './access-pipeline.js';
import { contentTypes, type Format } from './envelope.js';
import { collectAccessParams, type Params } from './request-params.js';
import type { Tree } from './tree.js';
import { recordEnvelope } from '../operations/http.js';

export { parseFormat } from './access-pipeline.js';

/** Writes a pipeline answer through Fastify: the same headers, in the same order, as the node:http front. */
export function sendAccessAnswer(reply: FastifyReply, answer: AccessAnswer): FastifyReply {
  const request = reply.request;
  recordEnvelope(request, answer.fn, answer.format, answer.code);
  if (answer.failure) request.log[answer.failure.level]({ err: answer.failure.error }, answer.failure.message);
  if (answer.retryAfter !== undefined) reply.header('retry-after', answer.retryAfter);
  return reply
    .code(answer.status)
    .header('content-type', contentTypes[answer.format])
    .header('cache-control', 'no-store')
    .send(answer.body);
}

/** Sends one envelope with HTTP 200 (DESIGN.md: clients read `code`). */
export function sendEnvelope(
  reply: FastifyReply,
  format: Format,
  code: number,
  message: string,
  value: Tree,
  httpStatus = 200,
): FastifyReply {
  return sendAccessAnswer(reply, envelopeAnswer('unknown', format, code, message, value, httpStatus));
}

/**
 * A compressed body (Content-Encoding other than identity) is refused before it is read: nothing is
 * decompressed (a small gzip body can hold gigabytes), and read as it came its bytes named no parameter
 * (the call answered -5, as if the key were wrong) or were "malformed JSON". The fallback answers write
 * the refusal: HTTP 400 and a -2 envelope, in the format the query asks for.
 */
async function refuseCompressedBody(request: FastifyRequest): Promise<void> {
  const encoding = request.headers['content-encoding'];
  if (encoding === undefined || encoding.trim().toLowerCase() === 'identity') return;
  const length = request.headers['content-length'];
  if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return;
  throw new ParameterError(
    `a body with Content-Encoding "${encoding.slice(0, 40)}" cannot be read: send it uncompressed`,
  );
}

/** Registers /_access/:function, answered by `pipeline`. */
export function registerAccessRoute(app: FastifyInstance, pipeline: AccessPipeline): void {
  async function handle(request: FastifyRequest<{ Params: { fn: string } }>, reply: FastifyReply) {
    let params: Params | ParameterError;
    try {
      params = collectAccessParams(request.query, request.body);
    } catch (error) {
      if (!(error instanceof ParameterError)) throw error;
      params = error;
    }
    const answer = await pipeline.answer({
      method: request.method,
      fnName: request.params.fn,
      params,
      idempotencyHeader: request.headers['idempotency-key'],
      peerAddress: request.socket.remoteAddress ?? '',
      forwardedFor: request.headers['x-forwarded-for'],
      requestId: request.id,
    });
    return sendAccessAnswer(reply, answer);
  }

  app.route({ method: ['GET', 'POST'], url: '/_access/:fn', preParsing: refuseCompressedBody, handler: handle });
}
