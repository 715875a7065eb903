import { z } from 'zod';
import { updateConferenceField } from '../domain/conferences.js';
import { assignedText, requiredText, uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';
import { conferenceResult } from './present.js';

/**
 * updateConference. The spec lists only `field` and `value`; `conference`
 * names the conference (as in cancelConference).
 */
export const updateConference = defineFunction({
  name: 'updateConference',
  kind: 'command',
  summary:
    'Sets one conference field: contactEmail, registerText, notes, recording, greenroom, reminder, backgroundMusic, callerInterface, preCall, postCall, banner or regComment.',
  result: 'Conference',
  params: z.object({ conference: uid(), field: requiredText(64), value: assignedText(8000) }),
  codes: { 1: 'Conference does not exist or is invalid', 2: 'Field is not valid' },
  async handle(ctx, p) {
    return conferenceResult(ctx, await updateConferenceField(ctx, p.conference, p.field, p.value));
  },
});
