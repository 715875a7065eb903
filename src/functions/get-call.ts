import { z } from 'zod';
import { loadCall } from '../domain/calls.js';
import { presentCall } from '../presenters/call.js';
import { uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/** getCall: "Will not retrieve data for active call. Use the conductor API for live calls." */
export const getCall = defineFunction({
  name: 'getCall',
  kind: 'information',
  summary: 'A call that has ended, with its callers and breakouts as UIDs.',
  result: 'Call',
  params: z.object({ conferenceUID: uid(), callUID: uid() }),
  async handle(ctx, p) {
    const view = await loadCall(ctx, p.conferenceUID, p.callUID);
    return presentCall(view, { timeZone: ctx.customer.time_zone, now: ctx.services.clock.now() });
  },
});
