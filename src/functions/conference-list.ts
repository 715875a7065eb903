/**
 * The shape the five list functions share: a list of conferences by status,
 * read whole (at most 1,000) or, with `limit` and `cursor`, page by page.
 */
import { z } from 'zod';
import { conferenceListLimit, listConferencesByStatus } from '../domain/conference-lists.js';
import type { ConferenceStatus } from '../domain/status.js';
import { presentConferenceList } from '../presenters/conference.js';
import { defineFunction, ResultWithMessage } from '../protocol/api-function.js';
import { optionalInteger, optionalText } from '../protocol/params.js';
import { maxCursorLength } from '../domain/cursor.js';
import { conferenceResult } from './present.js';

/** A list function: `{"conference":[…]}`, XML one `<conference>` per item in `<value>`. */
export function conferenceListFunction(name: string, status: ConferenceStatus, summary: string) {
  return defineFunction({
    name,
    kind: 'information',
    summary,
    result: 'ConferenceList',
    params: z.object({
      limit: optionalInteger(1, conferenceListLimit).describe(
        `Most conferences in this answer (1 to ${conferenceListLimit}); reads the list page by page, with nextCursor`,
      ),
      cursor: optionalText(maxCursorLength).describe('nextCursor of the previous page: the next page starts after it'),
    }),
    async handle(ctx, p) {
      const paged = p.limit !== undefined || p.cursor !== undefined;
      const page = paged ? { limit: p.limit, cursor: p.cursor } : undefined;
      const { views, truncated, nextCursor } = await listConferencesByStatus(ctx, status, page);
      const value = presentConferenceList(
        views.map((view) => conferenceResult(ctx, view)),
        nextCursor,
      );
      if (!truncated) return value;
      return new ResultWithMessage(
        value,
        `more than ${conferenceListLimit} conferences are ${status}; the first ${conferenceListLimit} are listed`,
      );
    },
  });
}
