import { z } from 'zod';
import { changeWebhook, webhookDescriptionMax } from '../domain/webhooks.js';
import { webhookUrlMax } from '../domain/webhook-address.js';
import { presentWebhook } from '../presenters/webhook.js';
import { optionalBoolean, optionalText, uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/** updateWebhook: changes what is given; enabled=true re-enables a disabled endpoint where its cursor stands. */
export const updateWebhook = defineFunction({
  name: 'updateWebhook',
  kind: 'command',
  // The URL's host is resolved (unless private addresses are allowed).
  waitsOutsideTheStore: true,
  summary:
    'Changes a webhook endpoint: url, eventTypes, description, enabled (true resumes a disabled endpoint with the first event it missed), rotateSecret (true: a new secret, shown in this answer only; the previous one also signs for 24 hours).',
  result: 'Webhook',
  params: z.object({
    webhook: uid(),
    url: optionalText(webhookUrlMax),
    eventTypes: z.string().max(1000, 'must be at most 1000 characters').optional(),
    description: z
      .string()
      .max(webhookDescriptionMax, `must be at most ${webhookDescriptionMax} characters`)
      .optional(),
    enabled: optionalBoolean(),
    rotateSecret: optionalBoolean(),
  }),
  async handle(ctx, p) {
    const { webhook, ...change } = p;
    // A new secret is shown once, in this answer; the previous one signs too for a day.
    return presentWebhook(await changeWebhook(ctx, webhook, change), { withSecret: change.rotateSecret === true });
  },
});
