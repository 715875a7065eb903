import { z } from 'zod';
import { conferenceNameLimit, createReservationless } from '../domain/conferences.js';
import { optionalBoolean, optionalInteger, optionalText } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';
import { conferenceResult } from './present.js';

/** Parameters every createConference* function shares. */
export const conferenceOverrides = {
  name: optionalText(conferenceNameLimit),
  contactEmail: optionalText(2000),
  greenroom: optionalBoolean(),
  recording: optionalBoolean(),
  backgroundMusic: optionalBoolean(),
};

/** createConferenceReservationless: "creates a reservationless conference … returns a conference object." */
export const createConferenceReservationless = defineFunction({
  name: 'createConferenceReservationless',
  kind: 'command',
  summary: 'Creates a conference that can start at any time.',
  result: 'Conference',
  params: z.object({ ...conferenceOverrides, estimatedCallers: optionalInteger(1, 100_000) }),
  async handle(ctx, p) {
    return conferenceResult(ctx, await createReservationless(ctx, p));
  },
});
