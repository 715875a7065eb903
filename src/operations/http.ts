/**
 * The operator's side of the HTTP application: a request id on every answer,
 * one log line per request (instead of Fastify's two), counts for /metrics,
 * the health probes, and /metrics itself when it is served on the API port
 * (only behind METRICS_TOKEN).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../context.js';
import type { JobHeartbeat } from '../jobs/runner.js';
import { liveness, readiness } from './health.js';
import type { MetricsSource } from './metrics.js';

/** What the /_access layer learnt about a call, for its log line and metrics. */
export interface ApiCallOutcome {
  /** The function's name as registered, or "unknown" (labels must stay a bounded set). */
  fn: string;
  format: string;
  code: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the /_access layer once it answers with an envelope. */
    apiCall: ApiCallOutcome | null;
  }
}

/** Records the envelope an /_access request is answered with, and its function when known. */
export function recordEnvelope(request: FastifyRequest, fn: string, format: string, code: number): void {
  const call = request.apiCall;
  if (call) {
    if (fn !== 'unknown') call.fn = fn;
    call.format = format;
    call.code = code;
  } else {
    request.apiCall = { fn, format, code };
  }
}

/** Registers the hooks and routes above. */
export function registerOperations(
  app: FastifyInstance,
  services: Services,
  jobs?: { heartbeat(): JobHeartbeat },
): void {
  app.decorateRequest('apiCall', null);
  const { metrics } = services;

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // At debug level only: tells that a request arrived before it is answered (e.g. in a shutdown).
    const level = request.log.level;
    if (level === 'debug' || level === 'trace') request.log.debug({ route: routeOf(request) }, 'request received');
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const ms = Math.round(reply.elapsedTime * 100) / 100;
    const call = request.apiCall;
    if (call) {
      metrics?.recordApiCall(call.fn, call.format, call.code, ms / 1000);
      request.log.info({ fn: call.fn, format: call.format, code: call.code, status: reply.statusCode, ms }, 'api call');
    } else {
      const route = routeOf(request);
      metrics?.recordHttpRequest(route, reply.statusCode);
      request.log.info({ method: request.method, route, status: reply.statusCode, ms }, 'request');
    }
    done();
  });

  app.get('/healthz', async () => liveness());
  app.get('/readyz', async (_request, reply) => {
    const answer = await readiness(services, jobs);
    return reply.code(answer.status === 'ready' ? 200 : 503).send(answer);
  });

  // On the API port only behind a token; with METRICS_PORT alone it is served there, not here.
  if (metrics && services.config.metricsToken && services.config.metricsPort === null) {
    const token = services.config.metricsToken;
    app.get('/metrics', async (request, reply) => answerMetrics(metrics, token, request.headers.authorization, reply));
  }
}

/** The route pattern (never the raw URL, which may carry a key or a token). */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? '(no route)';
}

/** Answers a scrape: 401 without the right bearer token (when one is configured), else the exposition. */
export async function answerMetrics(
  metrics: MetricsSource,
  token: string | null,
  authorization: string | undefined,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (token !== null && !bearerMatches(authorization, token)) {
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="metrics"')
      .send({ error: 'a bearer token is required' });
  }
  const text = await metrics.exposition();
  return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(text);
}

/** Compares `Authorization: Bearer <token>` in constant time (hashes first, so lengths do not leak either). */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const given = createHash('sha256')
    .update(match?.[1] ?? '')
    .digest();
  const wanted = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, wanted) && match !== null;
}
