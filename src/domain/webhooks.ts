/**
 * Webhook endpoints of a customer: where its events are delivered (Standard
 * Webhooks), which types it wants, and the signing secret — shown once, when
 * the endpoint is added. A new endpoint starts at the customer's current last
 * event: it receives what happens from then on (older events are read with
 * getEvents, or redelivered with a replay).
 */
import type { CallContext, Services } from '../context.js';
import { ParameterError } from '../errors.js';
import { inTransaction } from '../store/database.js';
import { lastEventSequence } from '../store/event.repository.js';
import {
  countWebhooks,
  deleteWebhook,
  findWebhook,
  findWebhookByUid,
  insertWebhook,
  listWebhooks,
  updateWebhook,
  type WebhookPatch,
  type WebhookRow,
} from '../store/webhook.repository.js';
import { eventTypes, type EventType } from './events.js';
import { parseWebhookUrl, resolveWebhookHost } from './webhook-address.js';

/** How many endpoints one customer may have. */
export const webhookLimit = 20;
/** Longest description. */
export const webhookDescriptionMax = 500;

/** `whsec_` + base64 of 32 random bytes: the Standard Webhooks secret format. */
export function newWebhookSecret(services: Services): string {
  return `whsec_${Buffer.from(services.random.key() + services.random.key(), 'hex').toString('base64')}`;
}

/** How long the previous secret keeps signing deliveries after a rotation. */
export const webhookSecretOverlapMs = 24 * 3_600_000;

/*
 * The secret column holds the current secret, and for a day after a rotation
 * the previous one and when it stops signing: `whsec_NEW` or
 * `whsec_NEW whsec_OLD <untilMs>` (a secret is base64, never a space).
 */

/** The current secret of a stored secret column (what addWebhook and a rotation show). */
export function currentWebhookSecret(stored: string): string {
  const space = stored.indexOf(' ');
  return space < 0 ? stored : stored.slice(0, space);
}

/**
 * The secrets a delivery at `now` is signed with: the current one, and the
 * previous one while its overlap lasts (Standard Webhooks: one `v1,…` each,
 * so a receiver that still has the old secret keeps verifying).
 */
export function webhookSigningSecrets(stored: string, now: number): string[] {
  const [current, previous, until] = stored.split(' ');
  return previous && Number(until) > now ? [current!, previous] : [current!];
}

/** "person.registered, call.ended" → the types; empty (or "*") for every type. A -2 names an unknown one. */
export function parseEventTypes(text: string | undefined): EventType[] {
  if (text === undefined) return [];
  const names = text
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (names.length === 1 && names[0] === '*') return [];
  const out: EventType[] = [];
  for (const name of names) {
    const found = eventTypes.find((t) => t === name.toLowerCase());
    if (!found) throw new ParameterError(`eventTypes: unknown event type "${name}"; use ${eventTypes.join(', ')}`);
    if (!out.includes(found)) out.push(found);
  }
  return out;
}

/** The types an endpoint row wants; empty means every type. */
export function wantedTypes(row: WebhookRow): EventType[] {
  return JSON.parse(row.event_types) as EventType[];
}

/** Checks a URL for a webhook: well formed, and (unless allowed) not inside a private network. */
async function checkUrl(services: Services, text: string): Promise<string> {
  const url = parseWebhookUrl(text);
  // With private addresses allowed there is nothing to refuse: the name is resolved when delivering.
  if (!services.config.webhookAllowPrivate) await resolveWebhookHost(url, false);
  return url.toString();
}

/** An endpoint's description, as given, or a -2 when it is longer than `webhookDescriptionMax`. */
function checkDescription(description: string): string {
  if (description.length > webhookDescriptionMax) {
    throw new ParameterError(`description must be at most ${webhookDescriptionMax} characters`);
  }
  return description;
}

export interface NewWebhookInput {
  url: string;
  eventTypes?: string;
  description?: string;
}

/** addWebhook: the new endpoint, with its secret (the only time it is shown). */
export async function addWebhook(ctx: CallContext, input: NewWebhookInput): Promise<WebhookRow> {
  const { services, customer } = ctx;
  const types = parseEventTypes(input.eventTypes);
  const description = checkDescription(input.description ?? '');
  const url = await checkUrl(services, input.url);
  const now = services.clock.now();
  return inTransaction(services.store.db, async (trx) => {
    if ((await countWebhooks(trx, customer.uid)) >= webhookLimit) {
      throw new ParameterError(`a customer may have at most ${webhookLimit} webhook endpoints; remove one first`);
    }
    return insertWebhook(trx, {
      uid: services.random.uid(),
      customer_uid: customer.uid,
      url,
      event_types: JSON.stringify(types),
      secret: newWebhookSecret(services),
      description,
      status: 'enabled',
      delivered_sequence: await lastEventSequence(trx, customer.uid),
      attempts: 0,
      next_attempt_at: now,
      failing_since: null,
      last_error: '',
      locked_until: null,
      lease_token: null,
      created_at: now,
      disabled_at: null,
    });
  });
}

/** getWebhooks. */
export function listCustomerWebhooks(ctx: CallContext): Promise<WebhookRow[]> {
  return listWebhooks(ctx.services.store.db, ctx.customer.uid);
}

/** The endpoint `uid` of this customer, or a -2 that names it. */
export async function requireWebhook(ctx: CallContext, uid: string): Promise<WebhookRow> {
  const row = await findWebhook(ctx.services.store.db, ctx.customer.uid, uid);
  if (!row) throw new ParameterError(`no webhook with UID ${uid}`);
  return row;
}

export interface WebhookChange {
  url?: string;
  eventTypes?: string;
  description?: string;
  /** true re-enables a disabled endpoint (its failures are forgotten); false pauses it. */
  enabled?: boolean;
  /** true: a new secret; the previous one also signs for `webhookSecretOverlapMs`. */
  rotateSecret?: boolean;
}

/** updateWebhook: changes what is given; re-enabling resumes delivery where the endpoint's cursor stands. */
export async function changeWebhook(ctx: CallContext, uid: string, change: WebhookChange): Promise<WebhookRow> {
  const { services, customer } = ctx;
  if (
    change.url === undefined &&
    change.eventTypes === undefined &&
    change.description === undefined &&
    change.enabled === undefined &&
    change.rotateSecret !== true
  ) {
    throw new ParameterError('nothing to change: supply url, eventTypes, description, enabled or rotateSecret');
  }
  const existing = await requireWebhook(ctx, uid);
  const patch: WebhookPatch = {};
  if (change.rotateSecret === true) {
    const now = services.clock.now();
    patch.secret = `${newWebhookSecret(services)} ${currentWebhookSecret(existing.secret)} ${now + webhookSecretOverlapMs}`;
  }
  if (change.url !== undefined) patch.url = await checkUrl(services, change.url);
  if (change.eventTypes !== undefined) patch.event_types = JSON.stringify(parseEventTypes(change.eventTypes));
  if (change.description !== undefined) patch.description = checkDescription(change.description);
  if (change.enabled === true) {
    Object.assign(patch, {
      status: 'enabled',
      disabled_at: null,
      attempts: 0,
      failing_since: null,
      next_attempt_at: services.clock.now(),
    } satisfies WebhookPatch);
  } else if (change.enabled === false) {
    Object.assign(patch, { status: 'disabled', disabled_at: services.clock.now() } satisfies WebhookPatch);
  }
  const row = await updateWebhook(services.store.db, customer.uid, uid, patch);
  if (!row) throw new ParameterError(`no webhook with UID ${uid}`);
  return row;
}

/** removeWebhook: the endpoint as it was. */
export async function removeWebhook(ctx: CallContext, uid: string): Promise<WebhookRow> {
  const row = await requireWebhook(ctx, uid);
  await deleteWebhook(ctx.services.store.db, ctx.customer.uid, uid);
  return row;
}

/**
 * Redelivers an endpoint's events after `after` (`baton events replay`): its
 * cursor moves back, failures are forgotten, a disabled endpoint is enabled
 * and a worker's lease is dropped, so the next delivery pass sends from
 * `after + 1` on, in order. Undefined when there is no such endpoint.
 */
export async function replayWebhook(services: Services, uid: string, after: number): Promise<WebhookRow | undefined> {
  const endpoint = await findWebhookByUid(services.store.db, uid);
  if (!endpoint) return undefined;
  return updateWebhook(services.store.db, endpoint.customer_uid, uid, {
    delivered_sequence: after,
    status: 'enabled',
    disabled_at: null,
    attempts: 0,
    failing_since: null,
    last_error: '',
    // Due at once, whichever process's clock reads it.
    next_attempt_at: 0,
    locked_until: null,
    lease_token: null,
  });
}
