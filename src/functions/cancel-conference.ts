import { z } from 'zod';
import { cancelConference as cancel } from '../domain/conferences.js';
import { uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';
import { conferenceResult } from './present.js';

/** cancelConference: "will return a conference object for the canceled conference." */
export const cancelConference = defineFunction({
  name: 'cancelConference',
  kind: 'command',
  summary: 'Cancels a conference; its PINs return to the pool.',
  result: 'Conference',
  params: z.object({ conference: uid() }),
  codes: { 1: 'Conference does not exist or is invalid' },
  async handle(ctx, p) {
    return conferenceResult(ctx, await cancel(ctx, p.conference));
  },
});
