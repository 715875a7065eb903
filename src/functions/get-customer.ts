import { z } from 'zod';
import { presentCustomer } from '../presenters/customer.js';
import { defineFunction } from '../protocol/api-function.js';
import { listCustomValues } from '../store/custom-value.repository.js';

/** getCustomer: "retrieve data about the customer. Returns customer object." */
export const getCustomer = defineFunction({
  name: 'getCustomer',
  kind: 'information',
  summary: 'The calling customer.',
  result: 'Customer',
  params: z.object({}),
  async handle(ctx) {
    const custom = await listCustomValues(ctx.services.store.db, ctx.customer.uid, 'customer', ctx.customer.uid);
    return presentCustomer(ctx.customer, custom);
  },
});
