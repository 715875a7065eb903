/**
 * buildApp: the HTTP application — plugins, parsers and routes. It never
 * listens (server.ts does), so tests can run it on any port.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Services } from './context.js';
import { registerBridgeRoutes } from './bridge/routes.js';
import { apiFunctions } from './functions/index.js';
import { GeneralCode } from './errors.js';
import { parseFormat, registerAccessRoute, sendEnvelope } from './protocol/access-route.js';
import { buildOpenApiDocument } from './protocol/openapi.js';
import { renderReferencePage } from './protocol/reference-page.js';
import { parseFormBody, parseMultipartBody } from './protocol/request-params.js';
import type { JobHeartbeat, MailPoke } from './jobs/runner.js';
import { registerOperations } from './operations/http.js';
import { loggerOptions } from './operations/logger.js';
import { isLoopbackPeer, requestIdFromProxy } from './operations/request-id.js';
import { messagePage } from './web/registration-pages.js';
import { registerRegistrationRoutes } from './web/registration.js';

export interface AppOptions {
  /** Fastify logger options; false for silence (tests). */
  logger?: FastifyServerOptions['logger'];
  /** The job runner, poked to send a self-registration's confirmation at once. */
  mail?: MailPoke;
  /** The job runner's heartbeat, for /readyz (absent: this process runs no jobs). */
  jobs?: { heartbeat(): JobHeartbeat };
}

/** Builds the application on the given services. */
export async function buildApp(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? loggerOptions(services.config),
    // One line per request instead, written when it is answered (operations/http.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: services.config.bodyLimit,
    genReqId: requestIdFromProxy(isLoopbackPeer),
    // Behind a load balancer the client's address comes from X-Forwarded-For.
    trustProxy: true,
    routerOptions: { caseSensitive: false },
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseFormBody(body as string));
  });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string' }, (req, body, done) => {
    try {
      done(null, parseMultipartBody(body as string, req.headers['content-type'] ?? ''));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  // Anything else (text/plain, no content type): read it as a form body, as lenient servers did.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseFormBody(body as string));
  });

  // Requests that fail before reaching the API layer (a body over the limit,
  // malformed JSON) still get an envelope, with an HTTP status that says why.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const query = request.query as Record<string, unknown> | undefined;
    const format = parseFormat(typeof query?.type === 'string' ? query.type : undefined) ?? 'xml';
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'unhandled exception');
    if (request.url.toLowerCase().startsWith('/conference/')) {
      const page =
        status === 500
          ? messagePage('Something went wrong', `Please try again in a moment (request ${request.id}).`)
          : messagePage('Request not understood', 'Please go back, reload the page and try again.');
      return reply.code(status).header('content-type', 'text/html; charset=utf-8').send(page);
    }
    const message =
      status === 413
        ? `request body is larger than ${services.config.bodyLimit} bytes`
        : status === 500
          ? `unhandled exception; if it persists contact support quoting request ${request.id}`
          : `malformed request: ${error.message}`;
    const code = status === 500 ? GeneralCode.unhandled : GeneralCode.parameter;
    return sendEnvelope(reply, format, code, message, null, status);
  });

  registerOperations(app, services, options.jobs);
  registerAccessRoute(app, services, apiFunctions);
  registerBridgeRoutes(app, services);
  registerRegistrationRoutes(app, services, options.mail);

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
  app.get('/docs', async (_request, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').send(describe().html),
  );

  return app;
}
