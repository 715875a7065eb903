import { z } from 'zod';
import { loadConference } from '../domain/conferences.js';
import { uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';
import { conferenceResult } from './present.js';

/** getConference: "data about the conference and related UIDs only". */
export const getConference = defineFunction({
  name: 'getConference',
  kind: 'information',
  summary: 'A conference, with its persons, reservations and calls as UIDs.',
  result: 'Conference',
  params: z.object({ conferenceUID: uid() }),
  async handle(ctx, p) {
    return conferenceResult(ctx, await loadConference(ctx, p.conferenceUID));
  },
});
