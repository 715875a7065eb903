/**
 * The Webhook object: an endpoint of the customer's events. `secret` is shown
 * only in addWebhook's answer and updateWebhook's with rotateSecret (null
 * everywhere else): Baton keeps it to sign
 * deliveries, but never shows it again.
 */
import { currentWebhookSecret } from '../domain/webhooks.js';
import type { WebhookRow } from '../store/webhook.repository.js';
import { list, repeated, type TreeObject } from '../protocol/tree.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function presentWebhook(row: WebhookRow, options: { withSecret?: boolean } = {}): TreeObject {
  return {
    UID: row.uid,
    url: row.url,
    eventTypes: list('type', JSON.parse(row.event_types) as string[]),
    description: row.description,
    status: row.status,
    secret: options.withSecret ? currentWebhookSecret(row.secret) : null,
    deliveredSequence: row.delivered_sequence,
    failedAttempts: row.attempts,
    failingSince: iso(row.failing_since),
    nextAttemptTime: row.attempts > 0 ? iso(row.next_attempt_at) : null,
    lastError: row.last_error,
    createdTime: iso(row.created_at)!,
    disabledTime: iso(row.disabled_at),
  };
}

/** getWebhooks: `{"webhook":[…]}`, XML one `<webhook>` per item. */
export function presentWebhookList(rows: readonly WebhookRow[]): TreeObject {
  return { webhook: repeated(rows.map((row) => presentWebhook(row))) };
}
