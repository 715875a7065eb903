/**
 * /conference/register/<conferenceUID>: the self-registration page (the
 * original service's path, DESIGN.md).
 * - GET shows the form; query parameters name, email, custom1, custom2 and
 *   notes prefill it, and with both name and email it registers at once (the
 *   original's behaviour — links in the customer's own mailings do this).
 * - POST registers, guarded by a signed double-submit CSRF token.
 * - Success redirects (303) to the `confirmation` parameter, else the
 *   conference's MC_CONFIRMATION_PAGE, else the built-in page with the PIN.
 * Registrations are limited per client address per minute.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../context.js';
import { ApiError } from '../errors.js';
import { describeSlot, timedSlots, upcomingSlots } from '../domain/schedule.js';
import {
  loadRegistrationTarget,
  register,
  registrationValues,
  validateRegistration,
  type RegistrationTarget,
  type RegistrationValues,
} from '../domain/self-registration.js';
import type { MailPoke } from '../jobs/runner.js';
import { createThrottle } from '../protocol/throttle.js';
import { collectParams } from '../protocol/request-params.js';
import { findPerson } from '../store/person.repository.js';
import { sendPublicPage } from './page-headers.js';
import {
  alreadyRegisteredPage,
  closedPage,
  confirmationPage,
  formPage,
  messagePage,
  type ConferenceSummary,
} from './registration-pages.js';
import {
  confirmationToken,
  csrfCookie,
  csrfToken,
  isNonce,
  newNonce,
  readCookie,
  verifyConfirmationToken,
  verifyCsrfToken,
} from './tokens.js';

type Params = Record<string, string | undefined>;
type PageRequest = FastifyRequest<{ Params: { uid: string }; Querystring: Params }>;

/** The path of a conference's registration page. */
export function registrationPath(conferenceUid: string): string {
  return `/conference/register/${encodeURIComponent(conferenceUid)}`;
}

/** A `confirmation` target: only an absolute http(s) URL is followed. */
function confirmationTarget(text: string | undefined): string {
  const value = (text ?? '').trim();
  if (value === '' || value.length > 2000) return '';
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : '';
  } catch {
    return '';
  }
}

function summary(services: Services, target: RegistrationTarget): ConferenceSummary {
  const { conference, customer } = target;
  const zone = customer.time_zone;
  return {
    name: conference.name,
    registerText: conference.register_text,
    // The conference's registration comment, else the customer's.
    comment: conference.reg_comment || customer.reg_comment,
    schedule: upcomingSlots(timedSlots(target.reservations), services.clock.now()).map((s) => describeSlot(s, zone)),
    timeZone: zone,
    reserved: conference.reserved !== 0,
  };
}

/** Registers the self-registration routes. `mail` is poked after a confirmation is queued. */
export function registerRegistrationRoutes(app: FastifyInstance, services: Services, mail?: MailPoke): void {
  const throttle = createThrottle(services, 'registration', {
    limit: services.config.registrationLimit,
    addresses: true,
  });
  const secureSite = services.config.publicUrl.startsWith('https:');

  /** Renders the form with a fresh CSRF token (and the cookie it is bound to). */
  function showForm(
    request: PageRequest,
    reply: FastifyReply,
    target: RegistrationTarget,
    form: { values: RegistrationValues; confirmation: string; errors?: Record<string, string>; formError?: string },
    status = 200,
  ) {
    const existing = readCookie(request.headers.cookie, csrfCookie);
    const nonce = isNonce(existing) ? existing : newNonce();
    if (nonce !== existing) {
      reply.header(
        'set-cookie',
        `${csrfCookie}=${nonce}; Path=/conference/register; HttpOnly; SameSite=Lax${
          // Secure when the site is https, or this request came over TLS (directly, or per TRUST_PROXY).
          secureSite || request.protocol === 'https' ? '; Secure' : ''
        }`,
      );
    }
    const uid = target.conference.uid;
    return sendPublicPage(
      reply,
      status,
      formPage({
        conference: summary(services, target),
        action: registrationPath(uid),
        csrf: csrfToken(target.conference.security_token, uid, nonce, services.clock.now()),
        confirmation: form.confirmation,
        values: form.values,
        errors: form.errors ?? {},
        formError: form.formError,
      }),
    );
  }

  /** Loads the conference; answers the not-found and closed pages itself. */
  async function open(request: PageRequest, reply: FastifyReply): Promise<RegistrationTarget | null> {
    const target = await loadRegistrationTarget(services, request.params.uid);
    if (!target) {
      await sendPublicPage(
        reply,
        404,
        messagePage('Conference not found', 'There is no conference at this address. Check the link you were given.'),
      );
      return null;
    }
    if (target.closed) {
      await sendPublicPage(reply, 410, closedPage(summary(services, target), target.closed));
      return null;
    }
    return target;
  }

  /** Validates, registers and redirects; re-shows the form on errors. */
  async function attempt(
    request: PageRequest,
    reply: FastifyReply,
    target: RegistrationTarget,
    values: RegistrationValues,
    confirmation: string,
  ) {
    const wait = await throttle.retryAfter(request.ip);
    if (wait > 0) {
      services.metrics?.recordThrottleRefusal('registration');
      reply.header('retry-after', String(wait));
      return sendPublicPage(
        reply,
        429,
        messagePage(
          'Too many registrations',
          `Too many registrations from your address. Try again in ${wait} seconds.`,
        ),
      );
    }
    await throttle.hit(request.ip);
    const errors = validateRegistration(values);
    if (Object.keys(errors).length > 0) return showForm(request, reply, target, { values, confirmation, errors }, 422);
    let registration;
    try {
      registration = await register(services, target, values);
    } catch (error) {
      // The conference closed between the page and the submission.
      if (error instanceof ApiError) return sendPublicPage(reply, 410, closedPage(summary(services, target), 'ended'));
      throw error;
    }
    mail?.poke();
    const { person, existing } = registration;
    const uid = target.conference.uid;
    // MC_CONFIRMATION_PAGE is an http(s) URL; written as a URL serializes it (a Location header is ASCII).
    let location = confirmation || confirmationTarget(target.confirmationPage ?? '');
    if (!location) {
      location = existing
        ? `${registrationPath(uid)}/confirmation?existing=1`
        : `${registrationPath(uid)}/confirmation?person=${person.uid}` +
          `&token=${confirmationToken(target.conference.security_token, uid, person.uid)}`;
    }
    return reply.code(303).header('location', location).header('cache-control', 'no-store').send();
  }

  app.get<{ Params: { uid: string }; Querystring: Params }>('/conference/register/:uid', async (request, reply) => {
    const target = await open(request, reply);
    if (!target) return reply;
    const query = collectParams(request.query, undefined);
    const values = registrationValues(query);
    const confirmation = confirmationTarget(query.confirmation);
    // "with both name and email present it registers at once" (the original's behaviour).
    if (values.name !== '' && values.email !== '') {
      return attempt(request, reply, target, values, confirmation);
    }
    return showForm(request, reply, target, { values, confirmation });
  });

  app.post<{ Params: { uid: string }; Querystring: Params }>('/conference/register/:uid', async (request, reply) => {
    const target = await open(request, reply);
    if (!target) return reply;
    // Every value as text (a JSON body may hold numbers or objects; repeated names give arrays).
    const body = collectParams(undefined, request.body);
    const values = registrationValues(body);
    const confirmation = confirmationTarget(body.confirmation ?? collectParams(request.query, undefined).confirmation);
    const nonce = readCookie(request.headers.cookie, csrfCookie);
    const { security_token: secret, uid } = target.conference;
    if (!verifyCsrfToken(secret, uid, nonce, body.csrf, services.clock.now())) {
      return showForm(
        request,
        reply,
        target,
        {
          values,
          confirmation,
          formError: 'This form has expired or did not come from this site. Check your details and submit it again.',
        },
        403,
      );
    }
    return attempt(request, reply, target, values, confirmation);
  });

  app.get<{ Params: { uid: string }; Querystring: Params }>(
    '/conference/register/:uid/confirmation',
    async (request, reply) => {
      const target = await loadRegistrationTarget(services, request.params.uid);
      if (!target) {
        return sendPublicPage(
          reply,
          404,
          messagePage('Conference not found', 'There is no conference at this address.'),
        );
      }
      const conference = summary(services, target);
      const query = collectParams(request.query, undefined);
      if (query.existing === '1') return sendPublicPage(reply, 200, alreadyRegisteredPage(conference));
      const personUid = query.person ?? '';
      const token = query.token ?? '';
      const { security_token: secret, uid, customer_uid: customerUid } = target.conference;
      const person =
        personUid.length <= 64 && verifyConfirmationToken(secret, uid, personUid, token)
          ? await findPerson(services.store.db, customerUid, personUid)
          : undefined;
      if (!person || person.conference_uid !== uid) {
        return sendPublicPage(
          reply,
          404,
          messagePage('Registration not found', 'This confirmation link is not valid. Check the email we sent you.'),
        );
      }
      return sendPublicPage(reply, 200, confirmationPage(conference, person, target.conference.did));
    },
  );
}
