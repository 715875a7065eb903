import { z } from 'zod';
import { removeWebhook as remove } from '../domain/webhooks.js';
import { presentWebhook } from '../presenters/webhook.js';
import { uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/** removeWebhook: returns the endpoint as it was; deliveries to it stop. */
export const removeWebhook = defineFunction({
  name: 'removeWebhook',
  kind: 'command',
  summary: 'Removes a webhook endpoint; deliveries to it stop.',
  result: 'Webhook',
  params: z.object({ webhook: uid() }),
  async handle(ctx, p) {
    return presentWebhook(await remove(ctx, p.webhook));
  },
});
