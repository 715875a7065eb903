/**
 * Webhook delivery (Standard Webhooks). Each pass leases the endpoints that
 * have events beyond their cursor and are due, and delivers each endpoint's
 * events one at a time in sequence order: event N+1 goes only after N was
 * accepted (any 2xx). A failure or timeout stops that endpoint until its next
 * attempt, with backoff; after failing for WEBHOOK_DISABLE_AFTER_SECONDS the
 * endpoint is disabled and its customer's contacts are emailed through the
 * mail queue. Leases make N processes on PostgreSQL deliver each event to each
 * endpoint once in normal operation; delivery is at least once (a process that
 * dies after the receiver accepted, before the cursor moved, sends it again —
 * with the same `webhook-id`, so receivers can drop the repeat).
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Services } from '../context.js';
import { ApiError } from '../errors.js';
import { wantedTypes, webhookSigningSecrets } from '../domain/webhooks.js';
import { parseWebhookUrl, resolveWebhookHost, type CheckedAddress } from '../domain/webhook-address.js';
import { enqueueMail } from '../mail/queue.js';
import { webhookDisabledMail } from '../mail/templates/webhook-disabled.js';
import { findCustomer } from '../store/customer.repository.js';
import { inTransaction } from '../store/database.js';
import { listEvents, type EventRow } from '../store/event.repository.js';
import {
  anyWebhookDue,
  claimDueWebhooks,
  updateLeasedWebhook,
  type WebhookPatch,
  type WebhookRow,
} from '../store/webhook.repository.js';

/** How long a leased endpoint is reserved for its worker; every delivered event renews it. */
export const webhookLeaseMs = 2 * 60_000;
/** Endpoints leased per claim. */
const claimBatch = 10;
/** Events read per query. */
const eventBatch = 100;
/** Deliveries between two writes of an endpoint's cursor. */
const cursorWriteEvery = 20;
/** First retry after 5 s, ×4 each time, at most hourly. */
export function webhookRetryDelayMs(attempts: number): number {
  return Math.min(5_000 * 4 ** Math.max(0, attempts - 1), 60 * 60_000);
}

export interface WebhookReport {
  delivered: number;
  failed: number;
  disabled: number;
  /** The earliest retry this pass scheduled, or null. */
  nextAttemptAt: number | null;
}

/** Delivers every due endpoint's pending events; resolves when none is left to do now. */
export async function deliverWebhooks(services: Services): Promise<WebhookReport> {
  const report: WebhookReport = { delivered: 0, failed: 0, disabled: 0, nextAttemptAt: null };
  if (!(await anyWebhookDue(services.store.db, services.clock.now()))) return report;
  for (;;) {
    const token = services.random.key();
    const now = services.clock.now();
    const claimed = await claimDueWebhooks(
      services.store.db,
      services.store.dialect,
      now,
      webhookLeaseMs,
      token,
      claimBatch,
    );
    if (claimed.length === 0) return report;
    await Promise.all(claimed.map((endpoint) => deliverEndpoint(services, endpoint, token, report)));
  }
}

/** Sends one endpoint's pending events in order until they run out, a failure, or a lost lease. */
async function deliverEndpoint(
  services: Services,
  endpoint: WebhookRow,
  token: string,
  report: WebhookReport,
): Promise<void> {
  const { db } = services.store;
  let state = endpoint;
  const wanted = wantedTypes(endpoint);
  // After a rotation the previous secret signs too, for a day (webhookSigningSecrets).
  const signers = webhookSigningSecrets(endpoint.secret, services.clock.now()).map((secret) => new Webhook(secret));
  let cursor = endpoint.delivered_sequence;
  let unsaved = 0;
  let addresses: CheckedAddress[] | undefined;
  for (;;) {
    const events = await listEvents(db, endpoint.customer_uid, cursor, eventBatch);
    if (events.length === 0) break;
    for (const event of events) {
      if (wanted.length > 0 && !wanted.includes(event.type as (typeof wanted)[number])) {
        cursor = event.sequence;
        continue;
      }
      let failure: string | null;
      try {
        // Resolved once per pass and checked again: a name that now points inside is refused.
        addresses ??= await resolveWebhookHost(parseWebhookUrl(endpoint.url), services.config.webhookAllowPrivate);
        failure = await send(endpoint.url, addresses, signers, event, services.config.webhookTimeoutSeconds * 1000);
      } catch (error) {
        failure = error instanceof ApiError ? error.message : describeError(error);
      }
      if (failure !== null) {
        await recordFailure(services, state, token, cursor, failure, report);
        return;
      }
      report.delivered++;
      cursor = event.sequence;
      unsaved++;
      state = { ...state, attempts: 0, failing_since: null };
      // The cursor is written every few deliveries (and always at the end): a process that
      // dies in between resends at most that many, which at-least-once allows.
      if (unsaved >= cursorWriteEvery) {
        unsaved = 0;
        const kept = await updateLeasedWebhook(db, endpoint.uid, token, {
          ...succeeded,
          delivered_sequence: cursor,
          locked_until: services.clock.now() + webhookLeaseMs,
        });
        if (!kept) return;
      }
    }
  }
  // Done for now: move past skipped events and give the lease back.
  await updateLeasedWebhook(db, endpoint.uid, token, {
    ...succeeded,
    delivered_sequence: cursor,
    locked_until: null,
    lease_token: null,
  });
}

const succeeded = { attempts: 0, failing_since: null, last_error: '' } satisfies WebhookPatch;

async function recordFailure(
  services: Services,
  endpoint: WebhookRow,
  token: string,
  cursor: number,
  error: string,
  report: WebhookReport,
): Promise<void> {
  const now = services.clock.now();
  const attempts = endpoint.attempts + 1;
  const failingSince = endpoint.failing_since ?? now;
  const patch: WebhookPatch = {
    delivered_sequence: cursor,
    attempts,
    failing_since: failingSince,
    last_error: error.slice(0, 500),
    next_attempt_at: now + webhookRetryDelayMs(attempts),
    locked_until: null,
    lease_token: null,
  };
  report.failed++;
  if (now - failingSince < services.config.webhookDisableAfterSeconds * 1000) {
    if (await updateLeasedWebhook(services.store.db, endpoint.uid, token, patch)) {
      report.nextAttemptAt = Math.min(report.nextAttemptAt ?? Infinity, patch.next_attempt_at!);
    }
    return;
  }
  const customer = await findCustomer(services.store.db, endpoint.customer_uid);
  await inTransaction(services.store.db, async (trx) => {
    const disabled = await updateLeasedWebhook(trx, endpoint.uid, token, {
      ...patch,
      status: 'disabled',
      disabled_at: now,
    });
    if (!disabled || !customer) return;
    report.disabled++;
    const recipients = customer.contact_emails
      .split(/[,;\s]+/)
      .map((a) => a.trim())
      .filter((a) => a !== '');
    for (const to of recipients) {
      await enqueueMail(trx, services, {
        customerUid: customer.uid,
        kind: 'webhook-disabled',
        message: webhookDisabledMail({
          to,
          customerName: customer.name,
          endpointUid: endpoint.uid,
          url: endpoint.url,
          failingSince: new Date(failingSince),
          lastError: error,
          deliveredSequence: cursor,
        }),
      });
    }
  });
}

/** The body of a delivery: Standard Webhooks' {type, timestamp, data}, plus the event's sequence and id. */
export function webhookPayload(event: EventRow): string {
  return (
    `{"type":${JSON.stringify(event.type)},"timestamp":${JSON.stringify(new Date(event.occurred_at).toISOString())},` +
    `"sequence":${event.sequence},"id":${JSON.stringify(event.id)},"data":${event.data}}`
  );
}

/** POSTs one signed event; null when the receiver accepted it, else why not. */
function send(
  url: string,
  addresses: readonly CheckedAddress[],
  signers: readonly Webhook[],
  event: EventRow,
  timeoutMs: number,
): Promise<string | null> {
  const body = webhookPayload(event);
  const sentAt = new Date();
  const target = new URL(url);
  // Connect only to the addresses that were checked.
  const lookup: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: CheckedAddress[]) => void)(null, [...addresses]);
    } else {
      callback(null, addresses[0]!.address, addresses[0]!.family);
    }
  };
  const options: RequestOptions = {
    method: 'POST',
    lookup,
    timeout: timeoutMs,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'user-agent': 'Baton-Webhooks/1',
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': signers.map((signer) => signer.sign(event.id, sentAt, body)).join(' '),
    },
  };
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    // The whole exchange is bounded, not only idle time.
    const timer = setTimeout(() => {
      req.destroy();
      finish(`no answer within ${timeoutMs / 1000} s`);
    }, timeoutMs);
    const req = request(target, options, (response) => {
      response.resume();
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        finish(status >= 200 && status < 300 ? null : `HTTP ${status}`);
      });
      response.on('error', (error) => finish(describeError(error)));
    });
    req.on('timeout', () => {
      req.destroy();
      finish(`no answer within ${timeoutMs / 1000} s`);
    });
    req.on('error', (error) => finish(describeError(error)));
    req.end(body);
  });
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
