/**
 * The administration site at /admin: sign-in, conferences, registrants,
 * calls (with a live view) and the account. Handlers here only read the
 * form, call one domain operation and render; every rule lives in
 * src/domain, shared with the API, so an error reads as the API's message.
 *
 * Security: a session cookie (HttpOnly, SameSite=Lax, Secure under https)
 * names a database session; every POST carries the session's synchronizer
 * CSRF token (the forms before sign-in use a double-submit cookie); another
 * customer's UID answers exactly as an unknown one; pages carry a strict
 * Content-Security-Policy (no inline script or style).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallContext, Services } from '../../context.js';
import { ApiError, ParameterError } from '../../errors.js';
import { listKeys, revokeKeyById } from '../../domain/api-keys.js';
import { listCallsOf, loadCallHistory, pollCallers, type LiveCaller } from '../../domain/call-history.js';
import { searchConferences, searchedConferencesMax } from '../../domain/conference-search.js';
import {
  cancelConference,
  createReservationless,
  loadConferenceData,
  updateConferenceFields,
} from '../../domain/conferences.js';
import { createKey, updateCustomerFields } from '../../domain/customers.js';
import { updateCustomValue } from '../../domain/custom-values.js';
import { conferenceFields, customerFields } from '../../domain/editable-fields.js';
import {
  addWebhook,
  changeWebhook,
  currentWebhookSecret,
  listCustomerWebhooks,
  removeWebhook,
} from '../../domain/webhooks.js';
import { checkImportRows, importPersons, registeredEmails } from '../../domain/person-import.js';
import { addPerson, personFields, removePerson, requirePerson, updatePersonFields } from '../../domain/persons.js';
import {
  addReservation,
  changeReservation,
  createReserved,
  parseEstimatedCallers,
  removeReservation,
  requireReservation,
} from '../../domain/reservations.js';
import { parseDateTimeInput, type DateTimeInput } from '../../domain/time.js';
import {
  changePassword,
  checkCsrf,
  createUser,
  inspectLink,
  isKnownDevice,
  knownDeviceMs,
  knownDeviceToken,
  listCustomerUsers,
  parseUserRole,
  removeUser,
  requestPasswordReset,
  resumeSession,
  revokeSessionsOf,
  setPasswordFromLink,
  signIn,
  signOut,
  type SignedIn,
  WrongPasswordError,
} from '../../domain/users.js';
import type { MailPoke } from '../../jobs/runner.js';
import { parseRole, parseWholeNumber } from '../../protocol/params.js';
import { readCookie } from '../tokens.js';
import { registrationPath } from '../registration.js';
import { adminCss, adminJs } from './assets.js';
import { csvRecords, formatCsv, parseCsv } from './csv.js';
import { formatWhen, fromLocalInput, toLocalInput } from './format.js';
import type { Notice, Refused, Viewer } from './layout.js';
import { accountPage, customerFieldValue } from './pages/account.js';
import { adminMessagePage, resetRequestPage, setPasswordPage, signInPage } from './pages/auth.js';
import { callerLabel, callPage } from './pages/call.js';
import { conferencePage, conferenceFieldValue, importPage, personPage } from './pages/conference.js';
import { conferenceListPage, conferenceTabs, newConferencePage, newReservationRows } from './pages/conferences.js';
import { createSignInThrottle, type SignInAttempt } from './throttle.js';

/** The session cookie; scoped to /admin so no other page ever sees it. */
export const sessionCookie = 'baton_admin';
/** The double-submit cookie of the forms shown before sign-in. */
const formCookie = 'baton_admin_form';
/** A browser known to an account (isKnownDevice): the sign-in throttle counts it apart. */
const deviceCookie = 'baton_admin_device';
/** How often the live page's stream reads the call's callers. */
export const livePollMs = 1000;

/**
 * Live streams one user may hold open on one process at a time: each polls the database every
 * `livePollMs`, so a script that opened thousands would load every other customer's requests.
 */
export const liveStreamsPerUser = 8;

type Body = Record<string, string | undefined>;
type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string | undefined> }>;

interface Session {
  signedIn: SignedIn;
  token: string;
  ctx: CallContext;
  viewer: Viewer;
}

/** Fixed texts for `?done=…` after a redirect (never text from the URL itself). */
const doneMessages: Record<string, string> = {
  created: 'Conference created.',
  'created-partly': 'Conference created; some reservation rows were not valid and were skipped.',
  saved: 'Saved.',
  canceled: 'Conference canceled.',
  'reservation-added': 'Reservation added.',
  'reservation-changed': 'Reservation changed.',
  'reservation-removed': 'Reservation removed.',
  'person-added': 'Registrant added.',
  'person-saved': 'Registrant saved.',
  'person-removed': 'Registrant removed.',
  'custom-saved': 'Custom value saved.',
  'key-revoked': 'Key revoked.',
  'webhook-enabled': 'Endpoint enabled: delivery resumes with the first event it missed.',
  'webhook-disabled': 'Endpoint disabled: nothing is delivered to it until it is enabled again.',
  'webhook-removed': 'Endpoint removed.',
  'user-removed': 'User removed.',
  'user-signed-out': 'That user is signed out everywhere.',
  'password-changed': 'Password changed. Other sessions were signed out.',
  'password-set': 'Password set. Sign in with it now.',
  'signed-out': 'You are signed out.',
};

function doneNotice(query: Record<string, string | undefined>): Notice | undefined {
  // Own keys only: `done=constructor` must not find Object.prototype's function (an empty notice).
  const done = query.done;
  const text = done !== undefined && Object.hasOwn(doneMessages, done) ? doneMessages[done] : undefined;
  if (done === 'created-partly') {
    // Which rows: numbers of the form's rows only, never other text from the URL.
    const rows = (query.skipped ?? '')
      .split('.')
      .filter((n) => /^[1-9]\d?$/.test(n) && Number(n) <= newReservationRows);
    if (rows.length > 0) {
      const many = rows.length > 1;
      return {
        kind: 'ok',
        text:
          `Conference created, but reservation ${many ? 'rows' : 'row'} ${rows.join(', ')} ${many ? 'were' : 'was'} ` +
          'not valid and skipped (a start in the past or at a time the clock skips, a missing or too long duration, ' +
          `or an overlap with another row). Add ${many ? 'them' : 'it'} under Reservations.`,
      };
    }
  }
  return text ? { kind: 'ok', text } : undefined;
}

function errorNotice(error: unknown): Notice {
  if (error instanceof ApiError) return { kind: 'error', text: error.message };
  throw error;
}

function send(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    )
    .send(html);
}

function redirect(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).header('cache-control', 'no-store').send();
}

function text(body: Body, name: string): string {
  return body[name] ?? '';
}

/**
 * A `next` target after sign-in: only a path inside the site, in printable
 * ASCII (what a Location header may carry: a control character or a wider
 * one would make the redirect itself fail).
 */
function safeNext(next: string | undefined): string {
  return typeof next === 'string' && /^\/admin\/(?![/\\])[!-~]*$/.test(next) && next.length < 500
    ? next
    : '/admin/conferences';
}

function sameText(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || a.length > 100) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readDateTime(textValue: string, param: string): DateTimeInput {
  const value = fromLocalInput(textValue);
  const parsed = value.length <= 40 ? parseDateTimeInput(value) : null;
  if (!parsed) throw new ParameterError(`${param} must be a date and time, got "${value.slice(0, 40)}"`);
  return parsed;
}

function readMinutes(textValue: string, param: string): number {
  const n = parseWholeNumber(textValue.trim());
  if (n === null)
    throw new ParameterError(`${param} must be a whole number of minutes, got "${textValue.slice(0, 20)}"`);
  return n;
}

/** Registers every /admin route on `app`. `mail` is poked when a reset link is queued. */
export function registerAdminRoutes(app: FastifyInstance, services: Services, mail?: MailPoke): void {
  const secureSite = services.config.publicUrl.startsWith('https:');
  // Secure when the site is https, or this request came over TLS (directly, or per a proxy TRUST_PROXY trusts).
  const secure = (request: FastifyRequest) => (secureSite || request.protocol === 'https' ? '; Secure' : '');
  const cookieTail = (request: FastifyRequest) => `; Path=/admin; HttpOnly; SameSite=Lax${secure(request)}`;
  const throttle = createSignInThrottle(services);
  const deviceMaxAge = Math.floor(knownDeviceMs / 1000);
  const setDevice = (request: FastifyRequest, reply: FastifyReply, token: string | undefined) => {
    if (token) {
      void reply.header(
        'set-cookie',
        `${deviceCookie}=${token}; Max-Age=${deviceMaxAge}; Path=/admin; HttpOnly; SameSite=Strict${secure(request)}`,
      );
    }
  };
  /** The open live streams, by their session token and user: ended at once when that session ends here. */
  const streams = new Map<() => void, { token: string; userUid: string }>();
  app.addHook('preClose', async () => {
    for (const end of streams.keys()) end();
  });
  /** Ends this process's streams of a session (sign-out) or of a user (every session revoked). */
  const endStreams = (match: { token?: string; userUid?: string }) => {
    for (const [end, owner] of streams) {
      if (owner.token === match.token || owner.userUid === match.userUid) end();
    }
  };

  /** The attempt a sign-in (or reset) form makes, with the browser's device token when it is valid. */
  async function attemptOf(request: FastifyRequest, email: string): Promise<SignInAttempt> {
    const token = readCookie(request.headers.cookie, deviceCookie);
    const known = await isKnownDevice(services, email, token);
    return { address: request.ip, email, knownDevice: known ? token : undefined };
  }
  /** The form cookie's nonce, set when missing. */
  function formNonce(request: FastifyRequest, reply: FastifyReply): string {
    const existing = readCookie(request.headers.cookie, formCookie);
    if (existing && /^[A-Za-z0-9_-]{24}$/.test(existing)) return existing;
    const nonce = randomBytes(18).toString('base64url');
    reply.header('set-cookie', `${formCookie}=${nonce}${cookieTail(request)}`);
    return nonce;
  }

  function formCsrfOk(request: FastifyRequest): boolean {
    const body = (request.body ?? {}) as Body;
    return sameText(readCookie(request.headers.cookie, formCookie), body.csrf);
  }

  async function currentSession(request: FastifyRequest): Promise<Session | undefined> {
    const token = readCookie(request.headers.cookie, sessionCookie);
    const signedIn = await resumeSession(services, token);
    if (!signedIn || !token) return undefined;
    return {
      signedIn,
      token,
      ctx: { services, customer: signedIn.customer },
      viewer: {
        email: signedIn.user.email,
        role: signedIn.user.role,
        customerName: signedIn.customer.name,
        csrf: signedIn.csrf,
      },
    };
  }

  /**
   * A route for signed-in users: without a session, GET goes to the sign-in
   * page and anything else is refused; a POST without the session's CSRF
   * token is refused with 403 and changes nothing.
   */
  function signedIn(
    handler: (request: Req, reply: FastifyReply, session: Session) => Promise<unknown>,
    options: { owner?: boolean } = {},
  ) {
    return async (request: Req, reply: FastifyReply) => {
      const session = await currentSession(request);
      if (!session) {
        if (request.method === 'GET') {
          return redirect(reply, `/admin/sign-in?next=${encodeURIComponent(request.url)}`);
        }
        return send(reply, 401, adminMessagePage('Signed out', 'Your session has ended. Sign in again.', signInLink));
      }
      if (request.method === 'POST' && !checkCsrf(session.signedIn, ((request.body ?? {}) as Body).csrf)) {
        return send(
          reply,
          403,
          adminMessagePage(
            'Form refused',
            'This form did not come from this site or has expired. Go back, reload the page and try again.',
          ),
        );
      }
      if (options.owner && session.viewer.role !== 'owner') {
        return send(reply, 403, adminMessagePage('Owners only', 'Only an owner of the account can do this.'));
      }
      return handler(request, reply, session);
    };
  }

  const signInLink = { href: '/admin/sign-in', label: 'Sign in' };
  const notFound = (reply: FastifyReply, what = 'Conference') =>
    send(
      reply,
      404,
      adminMessagePage(`${what} not found`, `There is no such ${what.toLowerCase()} in your account.`, {
        href: '/admin/conferences',
        label: 'All conferences',
      }),
    );

  /**
   * Runs a change; on success redirects to `location`, on an ApiError
   * re-renders the page with the message (422). Unknown objects answer 404.
   */
  async function act(
    reply: FastifyReply,
    work: () => Promise<string>,
    rerender: (notice: Notice) => Promise<string>,
  ): Promise<FastifyReply> {
    let location: string;
    try {
      location = await work();
    } catch (error) {
      const notice = errorNotice(error);
      try {
        return send(reply, 422, await rerender(notice));
      } catch (again) {
        if (again instanceof ApiError) return notFound(reply);
        throw again;
      }
    }
    return redirect(reply, location);
  }

  // ---- assets ----
  app.get('/admin/assets/admin.css', async (_request, reply) =>
    reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'public, max-age=3600')
      .send(adminCss),
  );
  app.get('/admin/assets/admin.js', async (_request, reply) =>
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'public, max-age=3600')
      .send(adminJs),
  );

  // ---- sign-in, sign-out, passwords ----
  app.get('/admin', async (_request, reply) => redirect(reply, '/admin/conferences'));

  app.get('/admin/sign-in', async (request: Req, reply) =>
    send(
      reply,
      200,
      signInPage({ csrf: formNonce(request, reply), next: request.query.next, notice: doneNotice(request.query) }),
    ),
  );

  app.post('/admin/sign-in', async (request: Req, reply) => {
    const body = (request.body ?? {}) as Body;
    const email = text(body, 'email').slice(0, 254);
    const page = (status: number, notice: Notice) =>
      send(reply, status, signInPage({ csrf: formNonce(request, reply), email, next: body.next, notice }));
    if (!formCsrfOk(request)) {
      return page(403, { kind: 'error', text: 'This form has expired. Please sign in again.' });
    }
    const attempt = await attemptOf(request, email);
    const wait = await throttle.retryAfter(attempt);
    if (wait > 0) {
      services.metrics?.recordThrottleRefusal('admin-sign-in');
      reply.header('retry-after', String(wait));
      return page(429, { kind: 'error', text: `Too many failed sign-ins. Try again in ${wait} seconds.` });
    }
    try {
      const { token, device } = await signIn(services, {
        email,
        password: text(body, 'password').slice(0, 1000),
        previousToken: readCookie(request.headers.cookie, sessionCookie),
      });
      reply.header('set-cookie', `${sessionCookie}=${token}${cookieTail(request)}`);
      setDevice(request, reply, device);
      return redirect(reply, safeNext(body.next));
    } catch (error) {
      await throttle.recordFailure(attempt);
      return page(401, errorNotice(error));
    }
  });

  app.post(
    '/admin/sign-out',
    signedIn(async (request, reply, session) => {
      await signOut(services, session.token);
      // Other processes' streams notice within a few polls (they re-check the session).
      endStreams({ token: session.token });
      reply.header('set-cookie', `${sessionCookie}=; Max-Age=0${cookieTail(request)}`);
      return redirect(reply, '/admin/sign-in?done=signed-out');
    }),
  );

  const expiredLink = (reply: FastifyReply) =>
    send(
      reply,
      410,
      adminMessagePage('Link expired', 'This link has been used or has expired. Ask for a new one.', {
        href: '/admin/reset',
        label: 'Reset your password',
      }),
    );

  app.get('/admin/password', async (request: Req, reply) => {
    const token = request.query.token ?? '';
    const user = await inspectLink(services, token);
    if (!user) return expiredLink(reply);
    return send(reply, 200, setPasswordPage({ csrf: formNonce(request, reply), token, email: user.email }));
  });

  app.post('/admin/password', async (request: Req, reply) => {
    const body = (request.body ?? {}) as Body;
    const token = text(body, 'token');
    const user = await inspectLink(services, token);
    if (!user) return expiredLink(reply);
    const again = (status: number, notice: Notice) =>
      send(reply, status, setPasswordPage({ csrf: formNonce(request, reply), token, email: user.email, notice }));
    if (!formCsrfOk(request)) return again(403, { kind: 'error', text: 'This form has expired. Please try again.' });
    if (text(body, 'password') !== text(body, 'confirm')) {
      return again(422, { kind: 'error', text: 'The two passwords are not the same.' });
    }
    try {
      const user = await setPasswordFromLink(services, token, text(body, 'password'));
      endStreams({ userUid: user.uid });
      // The link proved the mailbox: this browser is known to the account.
      setDevice(request, reply, await knownDeviceToken(services, user.uid));
    } catch (error) {
      return again(422, errorNotice(error));
    }
    return redirect(reply, '/admin/sign-in?done=password-set');
  });

  app.get('/admin/reset', async (request: Req, reply) =>
    send(reply, 200, resetRequestPage({ csrf: formNonce(request, reply) })),
  );

  app.post('/admin/reset', async (request: Req, reply) => {
    const body = (request.body ?? {}) as Body;
    const csrf = formNonce(request, reply);
    if (!formCsrfOk(request)) {
      return send(
        reply,
        403,
        resetRequestPage({ csrf, notice: { kind: 'error', text: 'This form has expired. Please try again.' } }),
      );
    }
    const email = text(body, 'email').slice(0, 254);
    // Counted like a failed sign-in: it mails whoever the address names.
    const attempt = await attemptOf(request, email);
    const wait = await throttle.retryAfter(attempt);
    if (wait > 0) {
      services.metrics?.recordThrottleRefusal('admin-sign-in');
      reply.header('retry-after', String(wait));
      return send(
        reply,
        429,
        resetRequestPage({ csrf, notice: { kind: 'error', text: `Too many requests. Try again in ${wait} seconds.` } }),
      );
    }
    await throttle.recordFailure(attempt);
    await requestPasswordReset(services, email);
    mail?.poke();
    return send(reply, 200, resetRequestPage({ csrf, sent: true }));
  });

  // ---- conferences ----
  app.get(
    '/admin/conferences',
    signedIn(async (request, reply, s) => {
      const tab = conferenceTabs.find((t) => t.id === request.query.tab) ?? conferenceTabs[2];
      const query = (request.query.q ?? '').slice(0, 200);
      const page = Math.min(Math.max(1, Number.parseInt(request.query.page ?? '1', 10) || 1), searchedConferencesMax);
      const result = await searchConferences(s.ctx, tab.status, query, page);
      return send(
        reply,
        200,
        conferenceListPage({
          viewer: s.viewer,
          timeZone: s.ctx.customer.time_zone,
          tab,
          query,
          result,
          notice: doneNotice(request.query),
        }),
      );
    }),
  );

  function newConferenceDefaults(s: Session): Body {
    const c = s.ctx.customer;
    const flag = (v: number) => (v ? 'true' : undefined);
    return { greenroom: flag(c.greenroom), recording: flag(c.recording), backgroundMusic: flag(c.background_music) };
  }

  app.get(
    '/admin/conferences/new',
    signedIn(async (_request, reply, s) =>
      send(
        reply,
        200,
        newConferencePage({ viewer: s.viewer, timeZone: s.ctx.customer.time_zone, values: newConferenceDefaults(s) }),
      ),
    ),
  );

  app.post(
    '/admin/conferences',
    signedIn(async (request, reply, s) => {
      const body = (request.body ?? {}) as Body;
      return act(
        reply,
        async () => {
          // The name's rule is the domain's (newConferenceRow): an empty one is refused there.
          const name = text(body, 'name').trim();
          const contactEmail = text(body, 'contactEmail').trim();
          const defaults = {
            name,
            contactEmail: contactEmail === '' ? undefined : contactEmail,
            greenroom: body.greenroom === 'true',
            recording: body.recording === 'true',
            backgroundMusic: body.backgroundMusic === 'true',
          };
          if (body.kind === 'reserved') {
            const items = Array.from({ length: newReservationRows }, (_, i) => String(i + 1))
              .map((n) => ({
                number: n,
                startDate: fromLocalInput(text(body, `startDate${n}`)),
                duration: text(body, `duration${n}`),
                estimatedCallers: text(body, `estimatedCallers${n}`),
              }))
              .filter(
                (item) => item.startDate !== '' || item.duration.trim() !== '' || item.estimatedCallers.trim() !== '',
              );
            if (items.length === 0)
              throw new ParameterError(
                'a reserved conference needs at least one reservation: fill in a start and a duration',
              );
            const { view, skippedNumbers } = await createReserved(s.ctx, { ...defaults, items });
            return skippedNumbers.length > 0
              ? `/admin/conferences/${view.row.uid}?done=created-partly&skipped=${skippedNumbers.join('.')}`
              : `/admin/conferences/${view.row.uid}?done=created`;
          }
          const estimated = parseEstimatedCallers(text(body, 'estimatedCallers'), 'estimatedCallers');
          const view = await createReservationless(s.ctx, { ...defaults, estimatedCallers: estimated ?? undefined });
          return `/admin/conferences/${view.row.uid}?done=created`;
        },
        async (notice) =>
          newConferencePage({ viewer: s.viewer, timeZone: s.ctx.customer.time_zone, values: body, notice }),
      );
    }),
  );

  async function renderConference(s: Session, uid: string, notice?: Notice, refused?: Refused): Promise<string> {
    const view = await loadConferenceData(s.ctx, uid);
    const calls = await listCallsOf(s.ctx, uid);
    return conferencePage({
      viewer: s.viewer,
      timeZone: s.ctx.customer.time_zone,
      view,
      calls,
      registrationUrl: `${services.config.publicUrl.replace(/\/$/, '')}${registrationPath(view.row.uid)}`,
      now: services.clock.now(),
      notice,
      refused,
    });
  }

  app.get(
    '/admin/conferences/:uid',
    signedIn(async (request, reply, s) => {
      try {
        return send(reply, 200, await renderConference(s, request.params.uid!, doneNotice(request.query)));
      } catch (error) {
        if (error instanceof ApiError) return notFound(reply);
        throw error;
      }
    }),
  );

  /**
   * A POST on one conference: `work` returns the done code; errors re-render the conference page
   * with the form (named by `form`, from the URL's parameters) filled in as it was sent.
   */
  function conferenceAction(
    form: string | ((params: Record<string, string>) => string),
    work: (s: Session, uid: string, body: Body, params: Record<string, string>) => Promise<string>,
  ) {
    return signedIn(async (request, reply, s) => {
      const uid = request.params.uid!;
      const body = (request.body ?? {}) as Body;
      const refused = { form: typeof form === 'string' ? form : form(request.params), values: body };
      return act(
        reply,
        async () => `/admin/conferences/${uid}?done=${await work(s, uid, body, request.params)}`,
        (notice) => renderConference(s, uid, notice, refused),
      );
    });
  }

  app.post(
    '/admin/conferences/:uid/settings',
    conferenceAction('settings', async (s, uid, body) => {
      const view = await loadConferenceData(s.ctx, uid);
      const changes: [string, string][] = [];
      for (const field of conferenceFields) {
        const submitted =
          field.kind === 'boolean'
            ? body[field.name] === 'true'
              ? 'true'
              : 'false'
            : (body[field.name] ?? conferenceFieldValue(view, field));
        if (submitted !== conferenceFieldValue(view, field)) changes.push([field.name, submitted]);
      }
      // All or nothing: one refused value writes none of the others.
      if (changes.length > 0) await updateConferenceFields(s.ctx, uid, changes);
      return 'saved';
    }),
  );

  app.post(
    '/admin/conferences/:uid/cancel',
    conferenceAction('cancel', async (s, uid) => {
      await cancelConference(s.ctx, uid);
      return 'canceled';
    }),
  );

  app.post(
    '/admin/conferences/:uid/reservations',
    conferenceAction('reservation', async (s, uid, body) => {
      await addReservation(s.ctx, {
        conference: uid,
        startDate: readDateTime(text(body, 'startDate'), 'startDate'),
        duration: readMinutes(text(body, 'duration'), 'duration'),
        estimatedCallers: body.estimatedCallers,
      });
      return 'reservation-added';
    }),
  );

  /** The reservation of the URL, which must belong to the URL's conference. */
  async function ownReservation(s: Session, uid: string, rid: string) {
    const reservation = await requireReservation(s.ctx, rid);
    if (reservation.conference_uid !== uid)
      throw new ParameterError(`no reservation with UID ${rid} in conference ${uid}`);
    return reservation;
  }

  app.post(
    '/admin/conferences/:uid/reservations/:rid',
    conferenceAction(
      (params) => `reservation:${params.rid}`,
      async (s, uid, body, params) => {
        const reservation = await ownReservation(s, uid, params.rid!);
        const zone = s.ctx.customer.time_zone;
        const start = text(body, 'startDate');
        const duration = text(body, 'duration').trim();
        // Only what changed is sent: an unchanged start of a session under way is in the past.
        await changeReservation(s.ctx, reservation.uid, {
          startDate:
            start !== '' && start !== toLocalInput(reservation.start_at, zone)
              ? readDateTime(start, 'startDate')
              : undefined,
          duration:
            duration !== '' && duration !== String(reservation.duration ?? '')
              ? readMinutes(duration, 'duration')
              : undefined,
          estimatedCallers:
            text(body, 'estimatedCallers').trim() === String(reservation.estimated_callers ?? '')
              ? undefined
              : body.estimatedCallers,
        });
        return 'reservation-changed';
      },
    ),
  );

  app.post(
    '/admin/conferences/:uid/reservations/:rid/remove',
    conferenceAction('reservation-remove', async (s, uid, _body, params) => {
      const reservation = await ownReservation(s, uid, params.rid!);
      await removeReservation(s.ctx, reservation.uid);
      return 'reservation-removed';
    }),
  );

  app.post(
    '/admin/conferences/:uid/persons',
    conferenceAction('person', async (s, uid, body) => {
      const email = text(body, 'email').trim();
      const name = text(body, 'name').trim();
      await addPerson(s.ctx, {
        conference: uid,
        role: parseRole(text(body, 'role') || 'PARTICIPANT'),
        name,
        email: email === '' ? undefined : email,
        source: 'admin',
      });
      return 'person-added';
    }),
  );

  app.post(
    '/admin/conferences/:uid/persons/:pid/remove',
    conferenceAction('person-remove', async (s, uid, _body, params) => {
      await removePerson(s.ctx, uid, params.pid!);
      return 'person-removed';
    }),
  );

  /** The person of the URL, which must belong to the URL's conference. */
  async function ownPerson(s: Session, uid: string, pid: string) {
    const person = await requirePerson(s.ctx, pid);
    if (person.conference_uid !== uid) throw new ParameterError(`no person with UID ${pid} in conference ${uid}`);
    const view = await loadConferenceData(s.ctx, uid);
    return { person, conference: { uid: view.row.uid, name: view.row.name } };
  }

  app.get(
    '/admin/conferences/:uid/persons/:pid',
    signedIn(async (request, reply, s) => {
      try {
        const { person, conference } = await ownPerson(s, request.params.uid!, request.params.pid!);
        return send(reply, 200, personPage({ viewer: s.viewer, conference, person }));
      } catch (error) {
        if (error instanceof ApiError) return notFound(reply, 'Registrant');
        throw error;
      }
    }),
  );

  app.post(
    '/admin/conferences/:uid/persons/:pid',
    signedIn(async (request, reply, s) => {
      const { uid, pid } = request.params as { uid: string; pid: string };
      const body = (request.body ?? {}) as Body;
      return act(
        reply,
        async () => {
          const { person } = await ownPerson(s, uid, pid);
          const changes: [string, string][] = [];
          for (const field of personFields) {
            const submitted = body[field];
            if (submitted !== undefined && submitted !== person[field]) changes.push([field, submitted]);
          }
          // All or nothing: one refused value writes none of the others.
          if (changes.length > 0) await updatePersonFields(s.ctx, pid, changes);
          return `/admin/conferences/${uid}?done=person-saved`;
        },
        async (notice) => {
          const { person, conference } = await ownPerson(s, uid, pid);
          return personPage({
            viewer: s.viewer,
            conference,
            person,
            notice,
            refused: { form: 'registrant', values: body },
          });
        },
      );
    }),
  );

  app.post(
    '/admin/conferences/:uid/custom',
    conferenceAction('custom', async (s, uid, body) => {
      // The key's and the value's rules are the domain's, the API's own (updateCustomValue).
      const key = text(body, 'customKey').trim();
      const value = text(body, 'customValue');
      await updateCustomValue(s.ctx, { objectType: 'conference', objectUID: uid, customKey: key, customValue: value });
      return 'custom-saved';
    }),
  );

  app.get(
    '/admin/conferences/:uid/persons.csv',
    signedIn(async (request, reply, s) => {
      let view;
      try {
        view = await loadConferenceData(s.ctx, request.params.uid!);
      } catch (error) {
        if (error instanceof ApiError) return notFound(reply);
        throw error;
      }
      const rows = [
        ['name', 'email', 'role', 'pin', 'notes', 'custom1', 'custom2', 'uid'],
        ...view.persons.map((p) => [p.name, p.email, p.role, p.pin, p.notes, p.custom1, p.custom2, p.uid]),
      ];
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `attachment; filename="registrants-${view.row.uid}.csv"`)
        .header('cache-control', 'no-store')
        .send(formatCsv(rows));
    }),
  );

  async function importTarget(s: Session, uid: string) {
    const view = await loadConferenceData(s.ctx, uid);
    return { uid: view.row.uid, name: view.row.name, registered: registeredEmails(view.persons) };
  }

  app.get(
    '/admin/conferences/:uid/import',
    signedIn(async (request, reply, s) => {
      try {
        const conference = await importTarget(s, request.params.uid!);
        return send(reply, 200, importPage({ viewer: s.viewer, conference, csv: 'name,email,role\n' }));
      } catch (error) {
        if (error instanceof ApiError) return notFound(reply);
        throw error;
      }
    }),
  );

  app.post(
    '/admin/conferences/:uid/import',
    signedIn(async (request, reply, s) => {
      const body = (request.body ?? {}) as Body;
      const csv = text(body, 'csv');
      let conference;
      try {
        conference = await importTarget(s, request.params.uid!);
      } catch (error) {
        if (error instanceof ApiError) return notFound(reply);
        throw error;
      }
      try {
        const { header, records } = csvRecords(parseCsv(csv));
        if (!header.includes('name') && !header.includes('email')) {
          throw new ParameterError('the first row must name the columns, e.g. name,email,role');
        }
        const rows = checkImportRows(records, conference.registered);
        if (body.confirm !== '1') {
          return send(reply, 200, importPage({ viewer: s.viewer, conference, csv, preview: rows }));
        }
        const result = await importPersons(s.ctx, conference.uid, rows);
        return send(reply, 200, importPage({ viewer: s.viewer, conference, csv, result }));
      } catch (error) {
        return send(reply, 422, importPage({ viewer: s.viewer, conference, csv, notice: errorNotice(error) }));
      }
    }),
  );

  // ---- calls ----
  app.get(
    '/admin/conferences/:uid/calls/:cid',
    signedIn(async (request, reply, s) => {
      const { uid, cid } = request.params as { uid: string; cid: string };
      try {
        const [history, view] = await Promise.all([loadCallHistory(s.ctx, uid, cid), loadConferenceData(s.ctx, uid)]);
        const custom = new Map(view.custom.map((c) => [c.key, c.value]));
        const resellerText = custom.get('RESELLER_INFO_TEXT');
        const resellerUrl = custom.get('RESELLER_INFO_URL');
        return send(
          reply,
          200,
          callPage({
            viewer: s.viewer,
            timeZone: s.ctx.customer.time_zone,
            conference: { uid: view.row.uid, name: view.row.name },
            history,
            now: services.clock.now(),
            reseller: resellerText && resellerUrl ? { text: resellerText, url: resellerUrl } : undefined,
          }),
        );
      } catch (error) {
        if (error instanceof ApiError) return notFound(reply, 'Call');
        throw error;
      }
    }),
  );

  app.get(
    '/admin/conferences/:uid/calls/:cid/callers.csv',
    signedIn(async (request, reply, s) => {
      const { uid, cid } = request.params as { uid: string; cid: string };
      let history;
      try {
        history = await loadCallHistory(s.ctx, uid, cid);
      } catch (error) {
        if (error instanceof ApiError) return notFound(reply, 'Call');
        throw error;
      }
      const zone = s.ctx.customer.time_zone;
      const now = services.clock.now();
      const rows = [
        ['caller', 'email', 'role', 'number', 'joined', 'left', 'seconds', 'person_uid', 'caller_uid'],
        ...history.callers.map((c) => [
          callerLabel(c),
          c.email,
          c.role,
          c.ani,
          formatWhen(c.started_at, zone),
          formatWhen(c.ended_at, zone),
          Math.round(((c.ended_at ?? now) - c.started_at) / 1000),
          c.person_uid ?? '',
          c.uid,
        ]),
      ];
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `attachment; filename="call-${history.call.uid}.csv"`)
        .header('cache-control', 'no-store')
        .send(formatCsv(rows));
    }),
  );

  /**
   * The live page's server-sent events. The stream reads the call's callers
   * through the domain every `livePollMs` and sends what changed (`join`,
   * `leave`, then `ended`), so it follows a call whichever Baton process the
   * bridge talks to. The session is checked again every few seconds.
   */
  app.get(
    '/admin/conferences/:uid/calls/:cid/live',
    signedIn(async (request, reply, s) => {
      const { uid, cid } = request.params as { uid: string; cid: string };
      try {
        await pollCallers(s.ctx, uid, cid);
      } catch (error) {
        if (error instanceof ApiError) return notFound(reply, 'Call');
        throw error;
      }
      const held = [...streams.values()].filter((owner) => owner.userUid === s.signedIn.user.uid).length;
      if (held >= liveStreamsPerUser) {
        reply.header('retry-after', '10');
        return send(
          reply,
          429,
          adminMessagePage(
            'Too many live views',
            `You have ${held} live views of calls open. Close one, then reload this page.`,
            { href: `/admin/conferences/${uid}/calls/${cid}`, label: 'The call' },
          ),
        );
      }
      const zone = s.ctx.customer.time_zone;
      const raw = reply.raw;
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // Proxies such as nginx pass the stream on at once instead of buffering it.
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      // HEAD: the headers and nothing more (a stream that sends no body would never end).
      if (request.method === 'HEAD') return raw.end();
      raw.write('retry: 3000\n\n');
      const known = new Map<string, number | null>();
      let timer: NodeJS.Timeout | undefined;
      let open = true;
      let polls = 0;
      const event = (name: string, data: unknown) => raw.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      const describe = (c: LiveCaller) => ({
        uid: c.uid,
        name: c.name,
        ani: c.ani,
        role: c.role,
        joined: formatWhen(c.startedAt, zone),
        left: formatWhen(c.endedAt, zone),
      });
      const end = () => {
        if (!open) return;
        open = false;
        clearTimeout(timer);
        streams.delete(end);
        raw.end();
      };
      streams.set(end, { token: s.token, userUid: s.signedIn.user.uid });
      request.raw.on('close', end);
      raw.on('close', end);
      const tick = async () => {
        try {
          if (++polls % 10 === 0 && !(await resumeSession(services, s.token))) return end();
          const { status, callers } = await pollCallers(s.ctx, uid, cid);
          if (!open) return;
          for (const c of callers) {
            if (!known.has(c.uid) && c.endedAt === null) event('join', describe(c));
            if (known.has(c.uid) && known.get(c.uid) === null && c.endedAt !== null) event('leave', describe(c));
            known.set(c.uid, c.endedAt);
          }
          if (status !== 'ACTIVE') {
            event('ended', {});
            return end();
          }
        } catch (error) {
          request.log.warn({ err: error }, 'live call stream stopped');
          return end();
        }
        if (open) timer = setTimeout(() => void tick(), livePollMs);
      };
      await tick();
    }),
  );

  // ---- account ----
  /** What the Account page shows besides its lists: a notice, and a secret shown once. */
  type AccountExtra = {
    notice?: Notice;
    /** The form refused, shown again as it was sent. */
    refused?: Refused;
    newKey?: string;
    newUserLink?: { email: string; link: string };
    newWebhookSecret?: { url: string; secret: string };
  };

  async function renderAccount(s: Session, extra: AccountExtra = {}) {
    const owner = s.viewer.role === 'owner';
    const customerUid = s.ctx.customer.uid;
    const [keys, users, webhooks] = owner
      ? await Promise.all([
          listKeys(services, customerUid),
          listCustomerUsers(services, customerUid),
          listCustomerWebhooks(s.ctx),
        ])
      : [undefined, undefined, undefined];
    return accountPage({
      viewer: s.viewer,
      customer: s.ctx.customer,
      keys,
      users,
      webhooks,
      self: s.signedIn.user.uid,
      ...extra,
    });
  }

  /**
   * Runs an Account form's change and shows the page in place: with what the change returns
   * (a secret shown once, its notice), or with its refusal (422).
   */
  async function changeOnAccount(
    reply: FastifyReply,
    s: Session,
    refused: Refused,
    change: () => Promise<AccountExtra>,
  ) {
    let extra: AccountExtra;
    try {
      extra = await change();
    } catch (error) {
      return send(reply, 422, await renderAccount(s, { notice: errorNotice(error), refused }));
    }
    return send(reply, 200, await renderAccount(s, extra));
  }

  app.get(
    '/admin/account',
    signedIn(async (request, reply, s) =>
      send(reply, 200, await renderAccount(s, { notice: doneNotice(request.query) })),
    ),
  );

  app.post(
    '/admin/account',
    signedIn(async (request, reply, s) => {
      const body = (request.body ?? {}) as Body;
      return act(
        reply,
        async () => {
          const customer = s.ctx.customer;
          const changes: [string, string][] = [];
          for (const field of customerFields) {
            const current = customerFieldValue(customer, field);
            const submitted =
              field.kind === 'boolean'
                ? body[field.name] === 'true'
                  ? 'true'
                  : 'false'
                : (body[field.name] ?? current);
            if (submitted !== current) changes.push([field.name, submitted]);
          }
          // All or nothing: one refused value writes none of the others.
          if (changes.length > 0) await updateCustomerFields(services, customer, changes);
          return '/admin/account?done=saved';
        },
        (notice) => renderAccount(s, { notice, refused: { form: 'settings', values: body } }),
      );
    }),
  );

  app.post(
    '/admin/account/password',
    signedIn(async (request, reply, s) => {
      const body = (request.body ?? {}) as Body;
      // A wrong current password is a guess like a failed sign-in (someone holding only the session
      // cookie must not find the password by trying): counted and held back by the same throttle.
      const attempt = await attemptOf(request, s.signedIn.user.email);
      const wait = await throttle.retryAfter(attempt);
      if (wait > 0) {
        services.metrics?.recordThrottleRefusal('admin-sign-in');
        reply.header('retry-after', String(wait));
        const notice: Notice = { kind: 'error', text: `Too many wrong passwords. Try again in ${wait} seconds.` };
        return send(reply, 429, await renderAccount(s, { notice }));
      }
      try {
        await changePassword(services, s.signedIn.user.uid, text(body, 'current').slice(0, 1000), text(body, 'next'));
      } catch (error) {
        if (error instanceof WrongPasswordError) await throttle.recordFailure(attempt);
        return send(reply, 422, await renderAccount(s, { notice: errorNotice(error) }));
      }
      endStreams({ userUid: s.signedIn.user.uid });
      // Every session was revoked; this browser gets a fresh one.
      const { token, device } = await signIn(services, { email: s.signedIn.user.email, password: text(body, 'next') });
      reply.header('set-cookie', `${sessionCookie}=${token}${cookieTail(request)}`);
      setDevice(request, reply, device);
      return redirect(reply, '/admin/account?done=password-changed');
    }),
  );

  app.post(
    '/admin/account/keys',
    signedIn(
      async (_request, reply, s) => {
        const key = await createKey(services, s.ctx.customer.uid);
        return send(reply, 200, await renderAccount(s, { newKey: key, notice: { kind: 'ok', text: 'Key created.' } }));
      },
      { owner: true },
    ),
  );

  app.post(
    '/admin/account/keys/:id/revoke',
    signedIn(
      async (request, reply, s) =>
        act(
          reply,
          async () => {
            const id = parseWholeNumber(request.params.id ?? '');
            if (id === null) throw new ParameterError('no such key');
            await revokeKeyById(services, s.ctx.customer.uid, id);
            return '/admin/account?done=key-revoked';
          },
          (notice) => renderAccount(s, { notice }),
        ),
      { owner: true },
    ),
  );

  // Webhook endpoints: owners only, like keys (an endpoint receives every event of the account).
  app.post(
    '/admin/account/webhooks',
    signedIn(
      async (request, reply, s) => {
        const body = (request.body ?? {}) as Body;
        return changeOnAccount(reply, s, { form: 'webhook', values: body }, async () => {
          const row = await addWebhook(s.ctx, {
            url: text(body, 'url').trim(),
            eventTypes: text(body, 'eventTypes'),
            description: text(body, 'description').trim(),
          });
          return {
            newWebhookSecret: { url: row.url, secret: currentWebhookSecret(row.secret) },
            notice: { kind: 'ok', text: 'Endpoint added.' },
          };
        });
      },
      { owner: true },
    ),
  );

  for (const [path, change, done] of [
    ['enable', { enabled: true }, 'webhook-enabled'],
    ['disable', { enabled: false }, 'webhook-disabled'],
  ] as const) {
    app.post(
      `/admin/account/webhooks/:uid/${path}`,
      signedIn(
        async (request, reply, s) =>
          act(
            reply,
            async () => {
              await changeWebhook(s.ctx, request.params.uid ?? '', change);
              return `/admin/account?done=${done}`;
            },
            (notice) => renderAccount(s, { notice }),
          ),
        { owner: true },
      ),
    );
  }

  app.post(
    '/admin/account/webhooks/:uid/rotate',
    signedIn(
      async (request, reply, s) =>
        changeOnAccount(reply, s, { form: 'webhook-rotate', values: {} }, async () => {
          const row = await changeWebhook(s.ctx, request.params.uid ?? '', { rotateSecret: true });
          return {
            newWebhookSecret: { url: row.url, secret: currentWebhookSecret(row.secret) },
            notice: { kind: 'ok', text: 'New secret made. The previous one also signs deliveries for 24 hours.' },
          };
        }),
      { owner: true },
    ),
  );

  app.post(
    '/admin/account/webhooks/:uid/remove',
    signedIn(
      async (request, reply, s) =>
        act(
          reply,
          async () => {
            await removeWebhook(s.ctx, request.params.uid ?? '');
            return '/admin/account?done=webhook-removed';
          },
          (notice) => renderAccount(s, { notice }),
        ),
      { owner: true },
    ),
  );

  app.post(
    '/admin/account/users',
    signedIn(
      async (request, reply, s) => {
        const body = (request.body ?? {}) as Body;
        return changeOnAccount(reply, s, { form: 'user', values: body }, async () => {
          const { user, link } = await createUser(services, {
            customerUid: s.ctx.customer.uid,
            email: text(body, 'email'),
            role: parseUserRole(text(body, 'role') || 'staff'),
          });
          return { newUserLink: { email: user.email, link }, notice: { kind: 'ok', text: 'User added.' } };
        });
      },
      { owner: true },
    ),
  );

  app.post(
    '/admin/account/users/:id/remove',
    signedIn(
      async (request, reply, s) =>
        act(
          reply,
          async () => {
            await removeUser(services, s.signedIn.user, request.params.id ?? '');
            endStreams({ userUid: request.params.id ?? '' });
            return '/admin/account?done=user-removed';
          },
          (notice) => renderAccount(s, { notice }),
        ),
      { owner: true },
    ),
  );

  app.post(
    '/admin/account/users/:id/sign-out',
    signedIn(
      async (request, reply, s) =>
        act(
          reply,
          async () => {
            await revokeSessionsOf(services, s.ctx.customer.uid, request.params.id ?? '');
            endStreams({ userUid: request.params.id ?? '' });
            return '/admin/account?done=user-signed-out';
          },
          (notice) => renderAccount(s, { notice }),
        ),
      { owner: true },
    ),
  );

  // Any other address under /admin: the site's own not-found page, not the API's.
  app.all('/admin/*', async (_request, reply) =>
    send(
      reply,
      404,
      adminMessagePage('Page not found', 'There is no page at this address.', {
        href: '/admin/conferences',
        label: 'All conferences',
      }),
    ),
  );
}
