/**
 * Verifying Baton's webhook deliveries (Standard Webhooks) without any
 * dependency: HMAC-SHA256 through Web Crypto, which Node 20+ and browsers
 * both have. A delivery carries `webhook-id`, `webhook-timestamp` (Unix
 * seconds) and `webhook-signature` (`v1,<base64>`, several separated by
 * spaces while a secret is being rotated); the signed content is
 * `${id}.${timestamp}.${body}` with the key `whsec_<base64>`.
 */
import type { EventType } from './types.js';

/** The body of a delivery. */
export interface WebhookEvent {
  type: EventType;
  /** ISO 8601, UTC: when the change happened. */
  timestamp: string;
  /** The event's sequence number: per customer, in order. */
  sequence: number;
  /** The event's id (also the `webhook-id` header). */
  id: string;
  /** The changed object as the API presented it, under its type's name. */
  data: Record<string, unknown>;
}

/** A delivery that is not genuine, too old or too new, or malformed. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

/** Headers as Fetch, Node's IncomingMessage or a plain object carries them. */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** How far `webhook-timestamp` may be from now, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** Now, for tests. */
  now?: Date;
}

function header(headers: WebhookHeaders, name: string): string {
  let value: string | string[] | null | undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    value = (headers as { get(name: string): string | null }).get(name);
  } else {
    const record = headers as Record<string, string | string[] | undefined>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  if (Array.isArray(value)) value = value[0];
  if (!value) throw new WebhookVerificationError(`missing ${name} header`);
  return value;
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Compares two strings in time that depends only on their length. */
function equalInConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Checks a delivery's signature and age and returns its event; throws
 * WebhookVerificationError otherwise. Pass the body exactly as received
 * (the raw text, not a re-serialised object).
 *
 *     const event = await verifyWebhook(secret, rawBody, request.headers);
 */
export async function verifyWebhook(
  secret: string,
  body: string,
  headers: WebhookHeaders,
  options: VerifyOptions = {},
): Promise<WebhookEvent> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || !Number.isSafeInteger(seconds)) {
    throw new WebhookVerificationError('webhook-timestamp is not a number of seconds');
  }
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(now - seconds) > tolerance)
    throw new WebhookVerificationError('webhook-timestamp is too old or too new');
  let key: Uint8Array<ArrayBuffer>;
  try {
    key = fromBase64(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  } catch {
    throw new WebhookVerificationError('the secret is not whsec_ followed by base64');
  }
  const hmacKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signed = await crypto.subtle.sign('HMAC', hmacKey, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  const expected = toBase64(new Uint8Array(signed));
  const match = signatures
    .split(' ')
    .map((s) => s.split(','))
    .some(
      ([version, signature]) => version === 'v1' && signature !== undefined && equalInConstantTime(signature, expected),
    );
  if (!match) throw new WebhookVerificationError('no matching signature');
  try {
    return JSON.parse(body) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
}
