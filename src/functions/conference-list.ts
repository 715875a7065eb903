/** The shape the five list functions share: no parameters, a list of conferences by status. */
import { z } from 'zod';
import { conferenceListLimit, listConferencesByStatus } from '../domain/conference-lists.js';
import type { ConferenceStatus } from '../domain/status.js';
import { presentConferenceList } from '../presenters/conference.js';
import { defineFunction, ResultWithMessage } from '../protocol/api-function.js';
import { conferenceResult } from './present.js';

/** A list function: `{"conference":[…]}`, XML one `<conference>` per item in `<value>`. */
export function conferenceListFunction(name: string, status: ConferenceStatus, summary: string) {
  return defineFunction({
    name,
    kind: 'information',
    summary,
    result: 'ConferenceList',
    params: z.object({}),
    async handle(ctx) {
      const { views, truncated } = await listConferencesByStatus(ctx, status);
      const value = presentConferenceList(views.map((view) => conferenceResult(ctx, view)));
      if (!truncated) return value;
      return new ResultWithMessage(
        value,
        `more than ${conferenceListLimit} conferences are ${status}; the first ${conferenceListLimit} are listed`,
      );
    },
  });
}
