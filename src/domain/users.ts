/**
 * Users of the administration site: people of one customer who sign in with
 * an email address and a password. Owners manage users and API keys; staff
 * run conferences. Sessions live in the database (any number of processes
 * share them); only SHA-256 hashes of session and link tokens are stored.
 *
 * - A session lasts at most `sessionAbsoluteMs` and ends after
 *   `sessionIdleMs` without a request. Signing in always makes a new one
 *   (the browser's old one is revoked: rotation), signing out revokes it, and
 *   a password change revokes every session of the user.
 * - A new user gets a one-time link to set a password (`baton user create`,
 *   or an owner on the site); a reset sends the same kind of link by email.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Services } from '../context.js';
import { FunctionError, GeneralError, ParameterError } from '../errors.js';
import { enqueueMail } from '../mail/queue.js';
import { renderBody } from '../mail/message.js';
import { findCustomer, type CustomerRow } from '../store/customer.repository.js';
import { inTransaction } from '../store/database.js';
import {
  consumeUserToken,
  deleteUser,
  findSession,
  findUser,
  findUsableUserToken,
  findUserByEmail,
  insertSession,
  insertUser,
  insertUserToken,
  listUsers,
  revokeSession,
  revokeUserSessions,
  useUpLinksOf,
  setPasswordHash,
  touchSession,
  type UserRow,
} from '../store/user.repository.js';
import { isEmailAddress } from './email-address.js';
import { hashPassword, passwordLimits, verifyPassword } from './passwords.js';

export const userRoles = ['owner', 'staff'] as const;
export type UserRole = (typeof userRoles)[number];

/** A session ends after this long without a request. */
export const sessionIdleMs = 2 * 3_600_000;
/** …and this long after sign-in, whatever happens. */
export const sessionAbsoluteMs = 12 * 3_600_000;
/** A set-password link (new user) is good for this long. */
export const setPasswordLinkMs = 7 * 24 * 3_600_000;
/** A reset link is good for this long. */
export const resetLinkMs = 60 * 60_000;
/** last_seen_at is written at most this often, so browsing is not a write per page. */
const touchEveryMs = 60_000;

/** What the site may show of a user: never the password hash. */
export interface UserView {
  uid: string;
  customerUid: string;
  email: string;
  role: UserRole;
  hasPassword: boolean;
  createdAt: number;
}

function view(row: UserRow): UserView {
  return {
    uid: row.uid,
    customerUid: row.customer_uid,
    email: row.email,
    role: row.role === 'owner' ? 'owner' : 'staff',
    hasPassword: row.password_hash !== '',
    createdAt: row.created_at,
  };
}

/** SHA-256 of a token, hex. Tokens carry 256 random bits, so a fast hash suffices. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A plausible token (what newToken makes): anything else is refused before a query. */
function isToken(text: string | undefined): text is string {
  return text !== undefined && /^[A-Za-z0-9_-]{43}$/.test(text);
}

function normaliseEmail(text: string): string {
  const email = text.trim().toLowerCase();
  if (email.length > 254 || !isEmailAddress(email))
    throw new ParameterError(`email is not a valid email address: "${text.slice(0, 254)}"`);
  return email;
}

/** Parses a role name ('owner' or 'staff', any case). */
export function parseUserRole(text: string): UserRole {
  const role = userRoles.find((r) => r === text.trim().toLowerCase());
  if (!role) throw new ParameterError(`role must be owner or staff, got "${text.slice(0, 20)}"`);
  return role;
}

/** The link that sets a password. */
export function passwordLink(services: Services, token: string): string {
  return `${services.config.publicUrl.replace(/\/$/, '')}/admin/password?token=${token}`;
}

async function issueLink(
  db: Services['store']['db'],
  services: Services,
  userUid: string,
  purpose: 'set-password' | 'reset',
): Promise<string> {
  const token = newToken();
  const now = services.clock.now();
  await insertUserToken(db, {
    token_hash: hashToken(token),
    user_uid: userUid,
    purpose,
    created_at: now,
    expires_at: now + (purpose === 'reset' ? resetLinkMs : setPasswordLinkMs),
  });
  return token;
}

/**
 * Creates a user of `customerUid` without a password; returns the user and a
 * one-time link to set it. An address already in use is code 1.
 *
 * An address names one user across all customers: signing in (and a reset)
 * finds the user by address alone, with no customer to tell two apart. So an
 * address another customer's user holds cannot be added either, but the
 * answer must not tell one customer about another's users: it says only that
 * the address cannot be used, never "exists" or whose it is. The customer's
 * own user is named as such (the owner sees them on the Account page anyway).
 */
export async function createUser(
  services: Services,
  input: { customerUid: string; email: string; role: UserRole },
): Promise<{ user: UserView; link: string }> {
  const email = normaliseEmail(input.email);
  const customer = await findCustomer(services.store.db, input.customerUid);
  if (!customer) throw new ParameterError(`no customer ${input.customerUid}`);
  return inTransaction(services.store.db, async (trx) => {
    const holder = await findUserByEmail(trx, email);
    if (holder?.customer_uid === customer.uid) {
      throw new FunctionError(1, `a user with email ${email} already exists`);
    }
    if (holder) throw new FunctionError(1, `email ${email} cannot be used for a new user: choose another address`);
    const row = await insertUser(trx, {
      uid: services.random.uid(),
      customer_uid: customer.uid,
      email,
      role: input.role,
      password_hash: '',
      created_at: services.clock.now(),
      password_changed_at: null,
    });
    const token = await issueLink(trx, services, row.uid, 'set-password');
    return { user: view(row), link: passwordLink(services, token) };
  });
}

/** The users of a customer. */
export async function listCustomerUsers(services: Services, customerUid: string): Promise<UserView[]> {
  return (await listUsers(services.store.db, customerUid)).map(view);
}

/** Removes a user of the customer; a user cannot remove themself (someone must stay owner). */
export async function removeUser(services: Services, actor: UserView, uid: string): Promise<void> {
  if (actor.uid === uid) throw new ParameterError('you cannot remove yourself');
  const removed = await inTransaction(services.store.db, (trx) => deleteUser(trx, actor.customerUid, uid));
  if (!removed) throw new ParameterError(`no user with UID ${uid}`);
}

/** Whether a set-password link can still be used, and for whom (the form shows the address). */
export async function inspectLink(services: Services, token: string | undefined): Promise<UserView | undefined> {
  if (!isToken(token)) return undefined;
  const link = await findUsableUserToken(services.store.db, hashToken(token), services.clock.now());
  if (!link) return undefined;
  const user = await findUser(services.store.db, link.user_uid);
  return user && view(user);
}

function checkNewPassword(password: string): void {
  if (password.length < passwordLimits.min) {
    throw new ParameterError(`password must be at least ${passwordLimits.min} characters`);
  }
  if (password.length > passwordLimits.max) {
    throw new ParameterError(`password must be at most ${passwordLimits.max} characters`);
  }
}

/**
 * Sets a password from a one-time link: the link is used up, every session
 * of the user is revoked. Returns the user. An unusable link is code 1.
 */
export async function setPasswordFromLink(
  services: Services,
  token: string | undefined,
  password: string,
): Promise<UserView> {
  checkNewPassword(password);
  if (!isToken(token)) throw new FunctionError(1, 'this link is not valid or has expired');
  const hash = await hashPassword(password);
  const now = services.clock.now();
  return inTransaction(services.store.db, async (trx) => {
    const link = await consumeUserToken(trx, hashToken(token), now);
    if (!link) throw new FunctionError(1, 'this link is not valid or has expired');
    await setPasswordHash(trx, link.user_uid, hash, now);
    await revokeUserSessions(trx, link.user_uid, now);
    // Any other link to this account (an earlier reset) would set the password again: used up too.
    await useUpLinksOf(trx, link.user_uid, now);
    const user = await findUser(trx, link.user_uid);
    if (!user) throw new FunctionError(1, 'this link is not valid or has expired');
    return view(user);
  });
}

/**
 * Queues a reset link to `email` when it belongs to a user. Says nothing
 * about whether it does (the page answers the same either way).
 */
export async function requestPasswordReset(services: Services, emailText: string): Promise<void> {
  let email: string;
  try {
    email = normaliseEmail(emailText);
  } catch {
    return;
  }
  const user = await findUserByEmail(services.store.db, email);
  if (!user) return;
  await inTransaction(services.store.db, async (trx) => {
    const token = await issueLink(trx, services, user.uid, 'reset');
    const link = passwordLink(services, token);
    const { text, html } = renderBody({
      greeting: 'Hello,',
      paragraphs: [
        'Someone asked to reset the password of your Baton administration account. ' +
          'Open the link below within an hour to choose a new password.',
        link,
        'If it was not you, ignore this message: your password stays as it is.',
      ],
      facts: [['Account', user.email]],
    });
    await enqueueMail(trx, services, {
      customerUid: user.customer_uid,
      kind: 'password-reset',
      message: { to: user.email, subject: 'Reset your Baton password', text, html },
    });
  });
}

/** A signed-in browser: the user, their customer, and the token's CSRF companion. */
export interface SignedIn {
  user: UserView;
  customer: CustomerRow;
  /** The per-session synchronizer token every form must carry. */
  csrf: string;
}

/** The CSRF token of a session: an HMAC of its (secret) token, so nothing more is stored. */
export function csrfTokenOf(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('baton-admin-csrf').digest('base64url');
}

/** Compares a submitted CSRF token in constant time. */
export function checkCsrf(signedIn: SignedIn, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length > 100) return false;
  const a = Buffer.from(submitted);
  const b = Buffer.from(signedIn.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Signs in with email and password; returns a new session token (and revokes
 * `previousToken`, the browser's old session, if any) and the browser's new
 * device token (isKnownDevice). Wrong address or
 * password: code 1 with one message for both. A customer that is not ACTIVE: -1.
 */
export async function signIn(
  services: Services,
  input: { email: string; password: string; previousToken?: string },
): Promise<{ token: string; user: UserView; device: string }> {
  const email = input.email.trim().toLowerCase().slice(0, 254);
  const user = email === '' ? undefined : await findUserByEmail(services.store.db, email);
  const ok = await verifyPassword(input.password, user?.password_hash);
  if (!user || !ok) throw new FunctionError(1, 'wrong email address or password');
  const customer = await findCustomer(services.store.db, user.customer_uid);
  if (!customer || customer.status !== 'ACTIVE') {
    throw new GeneralError(`customer account is ${customer?.status ?? 'CLOSED'}; contact support`);
  }
  const token = newToken();
  const now = services.clock.now();
  await inTransaction(services.store.db, async (trx) => {
    if (isToken(input.previousToken)) await revokeSession(trx, hashToken(input.previousToken), now);
    await insertSession(trx, {
      token_hash: hashToken(token),
      user_uid: user.uid,
      customer_uid: user.customer_uid,
      created_at: now,
      last_seen_at: now,
      expires_at: now + sessionAbsoluteMs,
    });
  });
  return { token, user: view(user), device: deviceTokenOf(user, now) };
}

/** How long a browser stays known to an account after it signed in (its device cookie). */
export const knownDeviceMs = 180 * 24 * 3_600_000;

function deviceSignature(user: UserRow, issuedAt: number): string {
  // Keyed by the password hash: secret to the server, and a new password
  // forgets every device at once.
  return createHmac('sha256', user.password_hash)
    .update(`baton-admin-device:${user.uid}:${issuedAt}`)
    .digest('base64url');
}

function deviceTokenOf(user: UserRow, now: number): string {
  return `${now}.${deviceSignature(user, now)}`;
}

/**
 * The device token of a user whose password was just set from a link (the
 * link proved the mailbox), or undefined for an unknown user.
 */
export async function knownDeviceToken(services: Services, userUid: string): Promise<string | undefined> {
  const user = await findUser(services.store.db, userUid);
  return user && user.password_hash !== '' ? deviceTokenOf(user, services.clock.now()) : undefined;
}

/**
 * True when `token` (a browser's device cookie) says this browser signed in
 * to the account `emailText` names before, with its current password, within
 * `knownDeviceMs`. Such a browser is not held back by failures made elsewhere
 * (the sign-in throttle); no one can forge one without the password hash.
 */
export async function isKnownDevice(
  services: Services,
  emailText: string,
  token: string | undefined,
): Promise<boolean> {
  if (!token || token.length > 100) return false;
  const dot = token.indexOf('.');
  const issuedAt = Number(token.slice(0, dot));
  if (dot < 1 || !Number.isSafeInteger(issuedAt)) return false;
  const now = services.clock.now();
  if (issuedAt > now + 5 * 60_000 || now - issuedAt > knownDeviceMs) return false;
  const email = emailText.trim().toLowerCase().slice(0, 254);
  const user = email === '' ? undefined : await findUserByEmail(services.store.db, email);
  if (!user || user.password_hash === '') return false;
  const a = Buffer.from(token.slice(dot + 1));
  const b = Buffer.from(deviceSignature(user, issuedAt));
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The signed-in user of a session token, or undefined (unknown, revoked, idle or expired). */
export async function resumeSession(services: Services, token: string | undefined): Promise<SignedIn | undefined> {
  if (!isToken(token)) return undefined;
  const { db } = services.store;
  const hash = hashToken(token);
  const found = await findSession(db, hash);
  if (!found) return undefined;
  const now = services.clock.now();
  const { session, user } = found;
  if (now >= session.expires_at || now - session.last_seen_at >= sessionIdleMs) return undefined;
  const customer = await findCustomer(db, user.customer_uid);
  if (!customer || customer.status !== 'ACTIVE') return undefined;
  if (now - session.last_seen_at >= touchEveryMs) await touchSession(db, hash, now);
  return { user: view(user), customer, csrf: csrfTokenOf(token) };
}

/** Signs out: the session is revoked. */
export async function signOut(services: Services, token: string | undefined): Promise<void> {
  if (!isToken(token)) return;
  await revokeSession(services.store.db, hashToken(token), services.clock.now());
}

/** The current password given to changePassword is not the user's: a guess, counted like a failed sign-in. */
export class WrongPasswordError extends ParameterError {
  constructor() {
    super('the current password is not right');
  }
}

/**
 * Changes the signed-in user's password: the current one must match (else WrongPasswordError). Every
 * session of the user is revoked; the caller signs this browser in again.
 */
export async function changePassword(
  services: Services,
  userUid: string,
  current: string,
  next: string,
): Promise<void> {
  checkNewPassword(next);
  const user = await findUser(services.store.db, userUid);
  if (!user || !(await verifyPassword(current, user.password_hash))) throw new WrongPasswordError();
  const hash = await hashPassword(next);
  const now = services.clock.now();
  await inTransaction(services.store.db, async (trx) => {
    await setPasswordHash(trx, user.uid, hash, now);
    await revokeUserSessions(trx, user.uid, now);
    // A reset link mailed before the change must not undo it.
    await useUpLinksOf(trx, user.uid, now);
  });
}

/** Revokes every session of a user of this customer (an owner's "sign out everywhere"). */
export async function revokeSessionsOf(services: Services, customerUid: string, userUid: string): Promise<number> {
  const user = await findUser(services.store.db, userUid);
  if (!user || user.customer_uid !== customerUid) throw new ParameterError(`no user with UID ${userUid}`);
  return revokeUserSessions(services.store.db, user.uid, services.clock.now());
}
