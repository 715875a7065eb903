/**
 * Signed tokens of the registration page, keyed by the conference's security
 * token (random, per conference, kept in the database — so every Baton
 * process verifies what any other signed, and a token of one conference is
 * worthless on another).
 *
 * CSRF: double submit, signed. The page sets a random nonce cookie
 * (SameSite=Lax, HttpOnly) and puts in the form `issuedAt.signature`, where
 * the signature covers conference, nonce and time. A POST is accepted only
 * with the cookie, a matching signature, and a token younger than `maxAgeMs`.
 * A cross-site form post carries no Lax cookie; a forged token has no valid
 * signature.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The name of the CSRF nonce cookie. */
export const csrfCookie = 'baton_csrf';
/** How long a rendered form stays valid. */
export const csrfMaxAgeMs = 4 * 3_600_000;

function sign(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('base64url');
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A fresh nonce for the cookie. */
export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** True for a nonce this server could have made (so a cookie value is not echoed blindly). */
export function isNonce(text: string | undefined): text is string {
  return text !== undefined && /^[A-Za-z0-9_-]{24}$/.test(text);
}

export function csrfToken(secret: string, conferenceUid: string, nonce: string, now: number): string {
  return `${now}.${sign(secret, `csrf:${conferenceUid}:${nonce}:${now}`)}`;
}

/** Checks a submitted token against the cookie's nonce at `now`. */
export function verifyCsrfToken(
  secret: string,
  conferenceUid: string,
  nonce: string | undefined,
  token: string | undefined,
  now: number,
): boolean {
  if (!isNonce(nonce) || !token || token.length > 200) return false;
  const dot = token.indexOf('.');
  const issuedAt = Number(token.slice(0, dot));
  if (dot < 1 || !Number.isSafeInteger(issuedAt)) return false;
  // A little slack for clocks of several servers that disagree.
  if (issuedAt > now + 5 * 60_000 || now - issuedAt > csrfMaxAgeMs) return false;
  return equal(token.slice(dot + 1), sign(secret, `csrf:${conferenceUid}:${nonce}:${issuedAt}`));
}

/** The token of the built-in confirmation page of one person: only its holder sees the PIN. */
export function confirmationToken(secret: string, conferenceUid: string, personUid: string): string {
  return sign(secret, `confirmation:${conferenceUid}:${personUid}`);
}

export function verifyConfirmationToken(
  secret: string,
  conferenceUid: string,
  personUid: string,
  token: string,
): boolean {
  return token.length < 100 && equal(token, confirmationToken(secret, conferenceUid, personUid));
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
