/**
 * /bridge/v1: the telephony side of Baton, for the media server that answers
 * the phone (FreeSWITCH, Asterisk). JSON in and out, authenticated by the
 * server-wide BRIDGE_TOKEN. Without a token configured every route answers
 * 503, so a server never exposes an open bridge by accident.
 *
 *   POST /bridge/v1/admit                      {did, pin, ani} → admission
 *   POST /bridge/v1/callers/:callerUID/leave   the caller hung up
 *   POST /bridge/v1/callers/:callerUID/update  {mic, mute, deaf, breakout, attention, tag}
 *   POST /bridge/v1/calls/:callUID/end         every caller leaves, the call closes
 *   POST /bridge/v1/freeswitch/dialplan        mod_xml_curl dialplan requests (freeswitch.ts)
 *   POST /bridge/v1/freeswitch/cdr             mod_xml_cdr records: the caller hung up
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Services } from '../context.js';
import { endCall, updateCaller } from '../domain/calls.js';
import { classifyError } from '../protocol/error-classes.js';
import { ParameterError } from '../errors.js';
import { describeIssues } from '../protocol/params.js';
import { createThrottle } from '../protocol/throttle.js';
import { findCallerTenant, findCallTenant, type CallerRow, type CallRow } from '../store/call.repository.js';
import { PinAdmission } from './admission.js';
import { bridgeTokenMatches } from './auth.js';
import { registerFreeswitchRoutes } from './freeswitch.js';
import { BridgeError, leaveCallerByUid, tenantContext, uidPattern } from './tenant.js';

const text = (max: number) =>
  z
    .union([z.string(), z.number()])
    .transform((v) => String(v).trim())
    .pipe(z.string().max(max, `must be at most ${max} characters`));

const admitBody = z.strictObject({
  did: text(32),
  pin: text(16),
  ani: text(32).default(''),
  server: text(100).optional(),
  serverConferenceUID: text(64).optional(),
});

const breakoutUid = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, - or _');

const updateBody = z.strictObject({
  mic: z.boolean().optional(),
  mute: z.boolean().optional(),
  deaf: z.boolean().optional(),
  // A breakout UID to join; null or "" to leave the breakout.
  breakout: z.union([z.literal('').transform(() => null), breakoutUid, z.null()]).optional(),
  attention: z.number().int('must be a whole number').min(0).max(5).optional(),
  tag: z.string().optional(), // its rule (one line, TAG_LIMIT) is the domain's: updateCaller
});

/** Parses a JSON body (or none) with `schema`; 400 naming the field otherwise. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const value = body === undefined || body === '' ? {} : body;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BridgeError(400, describeIssues(parsed.error));
  return parsed.data;
}

/** ISO 8601 (UTC) for the bridge's machine-facing answers; null stays null. */
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function callerState(caller: CallerRow) {
  return {
    callerUID: caller.uid,
    callUID: caller.call_uid,
    conferenceUID: caller.conference_uid,
    active: caller.active !== 0,
    mic: caller.mic !== 0,
    mute: caller.mute !== 0,
    deaf: caller.deaf !== 0,
    breakout: caller.breakout,
    attention: caller.attention,
    tag: caller.tag,
    startTime: iso(caller.started_at),
    endTime: iso(caller.ended_at),
  };
}

function callState(call: CallRow) {
  return {
    callUID: call.uid,
    conferenceUID: call.conference_uid,
    status: call.status,
    startTime: iso(call.started_at),
    endTime: iso(call.ended_at),
  };
}

/** Registers /bridge/v1 in its own plugin scope (its own body parsers and error answers). */
export function registerBridgeRoutes(app: FastifyInstance, services: Services): void {
  const admission = new PinAdmission(services);
  const authFailures = createThrottle(services, 'bridge-auth', {
    limit: services.config.authFailureLimit,
    addresses: true,
  });

  void app.register(
    async (bridge) => {
      // Raw text in: JSON for the bridge's own routes, forms and XML for FreeSWITCH's.
      bridge.removeAllContentTypeParsers();
      bridge.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
        const raw = (body as string).trim();
        if (raw === '') return done(null, undefined);
        try {
          done(null, JSON.parse(raw) as unknown);
        } catch {
          done(new BridgeError(400, 'the body is not valid JSON'), undefined);
        }
      });
      bridge.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

      bridge.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
        if (error instanceof BridgeError) return reply.code(error.status).send({ error: error.message });
        if (error instanceof ParameterError) return reply.code(400).send({ error: error.message });
        if (error.statusCode === 413) {
          return reply.code(413).send({ error: `body larger than ${services.config.bodyLimit} bytes` });
        }
        if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
          return reply.code(error.statusCode).send({ error: error.message });
        }
        if (classifyError(error) === 'retryable') {
          request.log.warn({ err: error }, 'database busy or unreachable');
          return reply.code(503).header('retry-after', '1').send({ error: 'database busy; retry' });
        }
        request.log.error({ err: error }, 'bridge: unhandled exception');
        return reply.code(500).send({ error: `internal error (request ${request.id})` });
      });

      bridge.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
        const token = services.config.bridgeToken;
        if (token === null) {
          return reply
            .code(503)
            .send({ error: 'the telephony bridge is disabled: set BRIDGE_TOKEN (16 characters or more) to enable it' });
        }
        const wait = await authFailures.retryAfter(request.ip);
        if (wait > 0) {
          services.metrics?.recordThrottleRefusal('bridge-auth');
          return reply.code(429).header('retry-after', String(wait)).send({ error: 'too many failed authentications' });
        }
        if (!bridgeTokenMatches(token, request.headers.authorization)) {
          await authFailures.hit(request.ip);
          return reply
            .code(401)
            .header('www-authenticate', 'Bearer realm="baton-bridge"')
            .send({ error: 'missing or wrong bridge token (Authorization: Bearer <BRIDGE_TOKEN>)' });
        }
      });

      bridge.post('/admit', async (request, reply) => {
        const answer = await admission.admit(parseBody(admitBody, request.body));
        if (!answer.admitted && answer.retryAfter !== undefined) {
          reply.header('retry-after', String(answer.retryAfter));
        }
        return answer;
      });

      bridge.post<{ Params: { callerUID: string } }>('/callers/:callerUID/leave', async (request) => {
        const left = await leaveCallerByUid(services, request.params.callerUID);
        if (!left) throw new BridgeError(404, `no caller ${request.params.callerUID}`);
        return { ...callerState(left.caller), callStatus: left.call.status, changed: left.changed };
      });

      bridge.post<{ Params: { callerUID: string } }>('/callers/:callerUID/update', async (request) => {
        const { callerUID } = request.params;
        const update = parseBody(updateBody, request.body);
        const tenant = uidPattern.test(callerUID) ? await findCallerTenant(services.store.db, callerUID) : undefined;
        if (!tenant) throw new BridgeError(404, `no caller ${callerUID}`);
        const result = await updateCaller(await tenantContext(services, tenant.customer_uid), callerUID, update);
        if (result === undefined) throw new BridgeError(404, `no caller ${callerUID}`);
        if (result === 'inactive') throw new BridgeError(409, `caller ${callerUID} has left the call`);
        return callerState(result);
      });

      bridge.post<{ Params: { callUID: string } }>('/calls/:callUID/end', async (request) => {
        const { callUID } = request.params;
        const tenant = uidPattern.test(callUID) ? await findCallTenant(services.store.db, callUID) : undefined;
        if (!tenant) throw new BridgeError(404, `no call ${callUID}`);
        const ended = await endCall(await tenantContext(services, tenant.customer_uid), callUID);
        if (!ended) throw new BridgeError(404, `no call ${callUID}`);
        return { ...callState(ended.call), endedCallers: ended.endedCallers, changed: ended.changed };
      });

      registerFreeswitchRoutes(bridge, services, admission);
    },
    { prefix: '/bridge/v1' },
  );
}
