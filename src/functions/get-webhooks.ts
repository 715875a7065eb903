import { z } from 'zod';
import { listCustomerWebhooks } from '../domain/webhooks.js';
import { presentWebhookList } from '../presenters/webhook.js';
import { defineFunction } from '../protocol/api-function.js';

/** getWebhooks: every endpoint of the customer, with its delivery state (never its secret). */
export const getWebhooks = defineFunction({
  name: 'getWebhooks',
  kind: 'information',
  summary: 'Lists the webhook endpoints with their delivery state (cursor, failures).',
  result: 'WebhookList',
  params: z.object({}),
  async handle(ctx) {
    return presentWebhookList(await listCustomerWebhooks(ctx));
  },
});
