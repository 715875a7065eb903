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
import { cachedAnswer } from '../store/prepared.js';
import { listScope } from '../store/conference-list.repository.js';
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
    handle(ctx, p) {
      const { customer, services } = ctx;
      const paged = p.limit !== undefined || p.cursor !== undefined;
      const page = paged ? { limit: p.limit, cursor: p.cursor } : undefined;
      // Cached (SQLite) per customer, time zone, public URL and page, until
      // the customer, any of its conferences or reservations, or a listed
      // conference's persons, calls or custom values change in any process,
      // or the clock reaches the next instant one of its conferences changes
      // list.
      const key = `${name}\u0000${customer.uid}\u0000${customer.time_zone}\u0000${services.config.publicUrl}\u0000${p.limit ?? ''}\u0000${p.cursor ?? ''}`;
      return cachedAnswer(
        services.store.db,
        key,
        [customer.uid, listScope(customer.uid)],
        async () => {
          const { views, truncated, nextCursor, validUntil, readAt } = await listConferencesByStatus(ctx, status, page);
          const presented = presentConferenceList(
            views.map((view) => conferenceResult(ctx, view)),
            nextCursor,
          );
          const value = truncated
            ? new ResultWithMessage(
                presented,
                `more than ${conferenceListLimit} conferences are ${status}; the first ${conferenceListLimit} are listed`,
              )
            : presented;
          return { value, until: validUntil, from: readAt, scopes: views.map((view) => view.row.uid) };
        },
        () => services.clock.now(),
      );
    },
  });
}
