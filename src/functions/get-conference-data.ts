import { z } from 'zod';
import { loadConferenceData } from '../domain/conferences.js';
import { presentConferenceData } from '../presenters/conference.js';
import { uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';
import { presentation } from './present.js';

/** getConferenceData: "all the data associated with the conference and all the child objects". */
export const getConferenceData = defineFunction({
  name: 'getConferenceData',
  kind: 'information',
  summary: 'A conference with its persons, reservations, settings and customer as full objects.',
  result: 'ConferenceData',
  params: z.object({ conferenceUID: uid() }),
  async handle(ctx, p) {
    const view = await loadConferenceData(ctx, p.conferenceUID);
    return presentConferenceData(view, ctx.customer, view.customerCustom, presentation(ctx));
  },
});
