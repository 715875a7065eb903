/**
 * buildApp: the HTTP application — plugins, parsers and routes. It never
 * listens (server.ts does), so tests can run it on any port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Services } from './context.js';
import { registerBridgeRoutes } from './bridge/routes.js';
import { apiFunctions } from './functions/index.js';
import { redactingLoggerOptions } from './log-redaction.js';
import { registerAccessRoute } from './protocol/access-route.js';
import { AccessFront, structuredJsonType, type JsonBodyParser } from './protocol/access-front.js';
import { AccessPipeline } from './protocol/access-pipeline.js';
import { installRawFront, type RawFront } from './protocol/raw-front.js';
import { fastifyTrustProxy, isTrustedPeer } from './protocol/client-address.js';
import {
  accessBodyErrorAnswer,
  clientErrorHandler,
  connectRequestAnswer,
  continueUnlessTooLarge,
  frameworkErrorAnswer,
  refuseMissingHost,
  registerFallbackAnswers,
} from './protocol/fallback-answers.js';
import { buildOpenApiDocument } from './protocol/openapi.js';
import { renderReferencePage } from './protocol/reference-page.js';
import { parseFormBodyIn, parseMultipartBody } from './protocol/request-params.js';
import type { JobHeartbeat, MailPoke } from './jobs/runner.js';
import { registerOperations } from './operations/http.js';
import { prettyLogStream } from './operations/logger.js';
import { requestIdFromParts, requestIdFromProxy } from './operations/request-id.js';
import { registerRegistrationRoutes } from './web/registration.js';
import { registerAdminRoutes } from './web/admin/routes.js';
import { registerFavicon } from './web/favicon.js';

export interface AppOptions {
  /** Fastify logger options; false for silence (tests). */
  logger?: FastifyServerOptions['logger'];
  /** Where log lines go (default stdout); tests read them. Ignored when `logger` is given. */
  logStream?: DestinationStream;
  /** The job runner, poked to send a self-registration's confirmation at once. */
  mail?: MailPoke;
  /** The job runner's heartbeat, for /readyz (absent: this process runs no jobs). */
  jobs?: { heartbeat(): JobHeartbeat };
  /**
   * Answer ordinary /_access requests from the node:http front (default true).
   * False sends every request through Fastify: tests compare the two.
   */
  accessFront?: boolean;
  /**
   * Answer ordinary /_access requests from the raw-socket front, before
   * node:http parses them (default true; only with the node:http front).
   * False leaves them to the node:http front: tests compare the two.
   */
  rawFront?: boolean;
}

const fronts = new WeakMap<FastifyInstance, AccessFront>();
const rawFronts = new WeakMap<FastifyInstance, RawFront>();

/** The node:http front of an application built by buildApp, if it has one. */
export function accessFrontOf(app: FastifyInstance): AccessFront | undefined {
  return fronts.get(app);
}

/** The raw-socket front of an application built by buildApp, if it has one. */
export function rawFrontOf(app: FastifyInstance): RawFront | undefined {
  return rawFronts.get(app);
}

/** Builds the application on the given services. */
export async function buildApp(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = services;
  const pipeline = new AccessPipeline(services, apiFunctions);
  // X-Request-Id is taken only from a peer TRUST_PROXY names as a proxy; one counter for both fronts.
  const trusted = (address: string) => isTrustedPeer(config.trustProxy, address);
  const requestId = requestIdFromParts(trusted);
  const front =
    options.accessFront === false
      ? undefined
      : new AccessFront({ pipeline, bodyLimit: config.bodyLimit, requestId, metrics: services.metrics });
  let closing = false;
  let raw: RawFront | undefined;
  const app = Fastify({
    // The API's ordinary requests are answered by the node:http front; everything else by Fastify.
    serverFactory: (handler, serverOptions) => {
      const server = createHttpServer(serverOptions, handler, front);
      if (front !== undefined && options.rawFront !== false) raw = installRawFront(server, front);
      return server;
    },
    // LOG_FORMAT=pretty writes through pino-pretty; the redaction applies either way.
    logger:
      options.logger ??
      redactingLoggerOptions(services.config.logLevel, options.logStream ?? prettyLogStream(services.config)),
    // One line per request instead, written when it is answered (operations/http.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: services.config.bodyLimit,
    genReqId: requestIdFromProxy(trusted, undefined, requestId),
    // request.ip: the socket peer, or (TRUST_PROXY) the address the trusted proxies say they served.
    trustProxy: fastifyTrustProxy(services.config.trustProxy),
    frameworkErrors: frameworkErrorAnswer,
    clientErrorHandler,
    routerOptions: { caseSensitive: false },
  });

  // As bytes: a form may name its charset (the node:http front reads only UTF-8 forms itself).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      done(null, parseFormBodyIn(body as Buffer, req.headers['content-type']));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string' }, (req, body, done) => {
    try {
      done(null, parseMultipartBody(body as string, req.headers['content-type'] ?? ''));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  // Anything else (text/plain, no content type): read it as a form body, as lenient servers did. Fastify's own
  // text/plain parser would win over '*' and hand the route a string, which names no parameter.
  // In the charset the type names, as for a form's own type.
  const formParser = (
    req: { headers: { 'content-type'?: string } },
    body: string | Buffer,
    done: (error: Error | null, value: unknown) => void,
  ) => {
    try {
      done(null, parseFormBodyIn(body as Buffer, req.headers['content-type']));
    } catch (error) {
      done(error as Error, undefined);
    }
  };
  // A +json type (application/vnd.api+json, application/merge-patch+json) is JSON, read by Fastify's own
  // parser as application/json is, not as a form; the node:http front decides the same (bodyKindOf).
  app.addContentTypeParser(structuredJsonType, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'ignore'));
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, formParser);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, formParser);

  registerOperations(app, services, options.jobs);
  registerFallbackAnswers(app, services);
  registerAccessRoute(app, pipeline);
  app.addHook('preClose', () => {
    closing = true;
  });
  if (front) fronts.set(app, front);
  if (raw) rawFronts.set(app, raw);
  front?.bind({
    log: app.log,
    jsonParser: app.getDefaultJsonParser('error', 'ignore') as unknown as JsonBodyParser,
    isClosing: () => closing,
    bodyError: (error, url, id) => accessBodyErrorAnswer(error, url, config.bodyLimit, id),
  });
  registerBridgeRoutes(app, services);
  registerRegistrationRoutes(app, services, options.mail);
  registerAdminRoutes(app, services, options.mail);
  registerFavicon(app);

  // The API description, generated once from the registry's schemas.
  let description: { json: string; html: string } | undefined;
  const describe = () => {
    if (!description) {
      const document = buildOpenApiDocument(apiFunctions, { serverUrl: services.config.publicUrl });
      description = { json: JSON.stringify(document), html: renderReferencePage(document) };
    }
    return description;
  };
  app.get('/openapi.json', async (_request, reply) =>
    reply.header('content-type', 'application/json; charset=utf-8').send(describe().json),
  );
  // A page like the site's: not framed (clickjacking), not sniffed, no script.
  app.get('/docs', async (_request, reply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
      )
      .send(describe().html),
  );

  return app;
}

/**
 * The HTTP server Fastify would make (same timeouts), whose request listener
 * lets the /_access front answer first.
 */
function createHttpServer(
  options: FastifyServerOptions,
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  front: AccessFront | undefined,
): Server {
  // Node's own answer to an HTTP/1.1 request without Host is an empty 400: refuseMissingHost gives an envelope.
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    if (refuseMissingHost(request, response)) return;
    if (front === undefined || !front.handle(request, response)) handler(request, response);
  };
  const server = createServer({ requireHostHeader: false }, listener);
  server.on('connect', connectRequestAnswer);
  // An expectation other than 100-continue (RFC 9110: a server MAY answer 417) is ignored and the
  // request answered as usual: Node's bare 417 would be the one answer under /_access without an envelope.
  server.on('checkExpectation', listener);
  if (options.bodyLimit !== undefined) server.on('checkContinue', continueUnlessTooLarge(listener, options.bodyLimit));
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
  if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
  if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout);
  if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
  return server;
}
