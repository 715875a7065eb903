import { z } from 'zod';
import { decodeCursor, encodeCursor, maxCursorLength } from '../domain/cursor.js';
import { eventPageLimit, readEvents } from '../domain/events.js';
import { ParameterError } from '../errors.js';
import { presentEventList } from '../presenters/event.js';
import { defineFunction } from '../protocol/api-function.js';
import { optionalInteger, optionalText } from '../protocol/params.js';

/** getEvents' cursor: the sequence the next page starts after, in the lists' opaque cursor format. */
const eventCursor = z.tuple([z.number().int().nonnegative()]);

/** getEvents: the customer's events in sequence order, for polling and replay. */
export const getEvents = defineFunction({
  name: 'getEvents',
  kind: 'information',
  summary:
    'Events after a sequence number, in order (after, limit; or the cursor of an earlier answer). nextCursor is set when more remain.',
  result: 'EventList',
  params: z.object({
    after: optionalInteger(0, Number.MAX_SAFE_INTEGER),
    limit: optionalInteger(1, eventPageLimit),
    cursor: optionalText(maxCursorLength),
  }),
  async handle(ctx, p) {
    if (p.cursor !== undefined && p.after !== undefined) {
      throw new ParameterError('give after or cursor, not both');
    }
    const after = p.cursor !== undefined ? decodeCursor(p.cursor, 'events', eventCursor)[0] : (p.after ?? 0);
    const { events, more } = await readEvents(ctx, after, p.limit ?? 100);
    const last = events.at(-1);
    return presentEventList(events, more && last ? encodeCursor('events', [last.sequence]) : undefined);
  },
});
