/**
 * /_access/<function>: the wire protocol of the Conference Management API.
 * Authenticates and parses once, hands a handler typed parameters and the
 * tenant, and writes every answer — errors included — as one envelope.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallContext, Services } from '../context.js';
import { authenticate } from '../domain/customers.js';
import { ApiError, AuthError, GeneralCode, ParameterError } from '../errors.js';
import type { ApiFunction } from './api-function.js';
import { answerCall } from './answer-call.js';
import { contentTypes, renderEnvelope, type Format } from './envelope.js';
import { describeIssues } from './params.js';
import { collectParams, refuseNulCharacters } from './request-params.js';
import { createThrottle } from './throttle.js';
import type { Tree } from './tree.js';
import { classifyError } from './error-classes.js';
import { recordApiFunction, recordEnvelope } from '../operations/http.js';
import { readIdempotencyKey, requestHash } from './idempotency.js';

/** `type`: xml (default) or json, any case; null for anything else. */
export function parseFormat(type: string | undefined): Format | null {
  if (type === undefined || type === '') return 'xml';
  const lower = type.trim().toLowerCase();
  return lower === 'json' || lower === 'xml' ? lower : null;
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
  recordEnvelope(reply.request, format, code);
  return reply
    .code(httpStatus)
    .header('content-type', contentTypes[format])
    .header('cache-control', 'no-store')
    .send(renderEnvelope(format, code, message, value));
}

/** Registers /_access/:function for every function in `functions`. */
export function registerAccessRoute(app: FastifyInstance, services: Services, functions: readonly ApiFunction[]): void {
  const byName = new Map(functions.map((fn) => [fn.name.toLowerCase(), fn]));
  const throttle = createThrottle(services, 'auth', { limit: services.config.authFailureLimit });

  async function handle(request: FastifyRequest<{ Params: { fn: string } }>, reply: FastifyReply) {
    let format: Format = 'xml';
    try {
      const params = collectParams(request.query, request.body);
      const parsedFormat = parseFormat(params.type);
      if (parsedFormat === null) throw new ParameterError(`type must be json or xml, got "${params.type}"`);
      format = parsedFormat;
      refuseNulCharacters(params);

      const fn = byName.get(request.params.fn.toLowerCase());
      if (!fn) throw new ParameterError(`unknown function "${request.params.fn}"`);
      recordApiFunction(request, fn.name);
      if (fn.kind === 'command' && request.method !== 'POST') {
        throw new ParameterError(`${fn.name} is a command: send it with POST`);
      }

      // The throttle check (a database read on PostgreSQL) runs alongside authentication, not before it.
      const [wait, authenticated] = await Promise.all([
        throttle.retryAfter(request.ip),
        authenticate(services, params.customer, params.key).then(
          (customer) => ({ customer }),
          (error: unknown) => ({ error }),
        ),
      ]);
      if (wait > 0) {
        services.metrics?.recordThrottleRefusal('api-auth');
        reply.header('retry-after', String(wait));
        throw new AuthError(`invalid customer key (too many failures from your address; retry in ${wait} s)`);
      }
      if ('error' in authenticated) {
        if (authenticated.error instanceof AuthError) await throttle.hit(request.ip);
        throw authenticated.error;
      }
      const ctx: CallContext = { services, customer: authenticated.customer };

      const parsed = fn.params.safeParse(params);
      if (!parsed.success) throw new ParameterError(describeIssues(parsed.error));
      const idempotencyKey =
        fn.kind === 'command' ? readIdempotencyKey(request.headers['idempotency-key'], params) : undefined;
      const answer = await answerCall(
        ctx,
        fn,
        parsed.data,
        idempotencyKey === undefined ? undefined : { key: idempotencyKey, hash: requestHash(fn.name, params) },
      );
      return sendEnvelope(reply, format, answer.code, answer.message, answer.value);
    } catch (error) {
      if (error instanceof ApiError) return sendEnvelope(reply, format, error.code, error.message, null);
      const kind = classifyError(error);
      if (kind === 'retryable') {
        request.log.warn({ err: error }, 'database busy or unreachable');
        return sendEnvelope(
          reply,
          format,
          GeneralCode.retryable,
          `the database is busy or unreachable; retry the call (request ${request.id})`,
          null,
        );
      }
      request.log.error({ err: error }, 'unhandled exception');
      return sendEnvelope(
        reply,
        format,
        GeneralCode.unhandled,
        `unhandled exception; if it persists contact support quoting request ${request.id}`,
        null,
      );
    }
  }

  app.route({ method: ['GET', 'POST'], url: '/_access/:fn', handler: handle });
}
