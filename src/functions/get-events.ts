import { z } from 'zod';
import { eventPageLimit, readEvents } from '../domain/events.js';
import { ParameterError } from '../errors.js';
import { presentEventList } from '../presenters/event.js';
import { defineFunction } from '../protocol/api-function.js';
import { optionalInteger, optionalText } from '../protocol/params.js';

/**
 * The opaque cursor of getEvents: the sequence the next page starts after,
 * base64url-encoded so clients do not build it themselves.
 */
export function encodeEventCursor(after: number): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

/** Reads a cursor of encodeEventCursor, or a -2 for anything else. */
export function decodeEventCursor(cursor: string): number {
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof after === 'number' && Number.isSafeInteger(after) && after >= 0) return after;
  } catch {
    // Not JSON: the same -2 as any other malformed cursor.
  }
  throw new ParameterError('cursor is not a cursor this server gave; pass nextCursor from an earlier answer');
}

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
    cursor: optionalText(200),
  }),
  async handle(ctx, p) {
    if (p.cursor !== undefined && p.after !== undefined) {
      throw new ParameterError('give after or cursor, not both');
    }
    const after = p.cursor !== undefined ? decodeEventCursor(p.cursor) : (p.after ?? 0);
    const { events, more } = await readEvents(ctx, after, p.limit ?? 100);
    const last = events.at(-1);
    return presentEventList(events, more && last ? encodeEventCursor(last.sequence) : null);
  },
});
