import { z } from 'zod';
import { loadCallData } from '../domain/calls.js';
import { presentCallData } from '../presenters/call.js';
import { uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/** getCallData: "a list of callers and details about the call" — refused while the call is live. */
export const getCallData = defineFunction({
  name: 'getCallData',
  kind: 'information',
  summary: 'A call that has ended, with every caller record (times, roles, persons).',
  result: 'CallData',
  params: z.object({ conferenceUID: uid(), callUID: uid() }),
  async handle(ctx, p) {
    const view = await loadCallData(ctx, p.conferenceUID, p.callUID);
    return presentCallData(view, { timeZone: ctx.customer.time_zone, now: ctx.services.clock.now() });
  },
});
