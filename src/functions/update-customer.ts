import { z } from 'zod';
import { updateCustomerField } from '../domain/customers.js';
import { presentCustomer } from '../presenters/customer.js';
import { assignedText, requiredText } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';
import { listCustomValues } from '../store/custom-value.repository.js';

/** updateCustomer: sets one editable field; "Returns an updated customer object." */
export const updateCustomer = defineFunction({
  name: 'updateCustomer',
  kind: 'command',
  summary:
    'Sets one customer field: contactEmail, greenroom, recording, affiliateCode, reminder, backgroundMusic, preCall, postCall, banner, callerInterface, regComment or timeZone.',
  result: 'Customer',
  params: z.object({ field: requiredText(64), value: assignedText(8000) }),
  async handle(ctx, p) {
    const row = await updateCustomerField(ctx.services, ctx.customer, p.field, p.value);
    const custom = await listCustomValues(ctx.services.store.db, row.uid, 'customer', row.uid);
    return presentCustomer(row, custom);
  },
});
