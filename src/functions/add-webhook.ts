import { z } from 'zod';
import { addWebhook as add, webhookDescriptionMax } from '../domain/webhooks.js';
import { webhookUrlMax } from '../domain/webhook-address.js';
import { presentWebhook } from '../presenters/webhook.js';
import { optionalText, requiredText } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/** addWebhook: the answer carries the signing secret — the only time it is shown. */
export const addWebhook = defineFunction({
  name: 'addWebhook',
  kind: 'command',
  // The URL's host is resolved (unless private addresses are allowed).
  waitsOutsideTheStore: true,
  summary:
    'Adds a webhook endpoint (Standard Webhooks). eventTypes: comma-separated, empty for all. The answer shows the signing secret once.',
  result: 'Webhook',
  params: z.object({
    url: requiredText(webhookUrlMax),
    eventTypes: optionalText(1000),
    description: optionalText(webhookDescriptionMax),
  }),
  async handle(ctx, p) {
    return presentWebhook(await add(ctx, p), { withSecret: true });
  },
});
