/**
 * The Event object of getEvents and of webhook deliveries: its sequence
 * number, id, type, time (ISO 8601, UTC) and `data`, the changed object as the
 * API presented it when the change happened.
 */
import { list, repeated, type Tree, type TreeObject } from '../protocol/tree.js';
import type { EventRow } from '../store/event.repository.js';

/** Item element names of the spec's array fields, for rebuilding XML from stored JSON. */
const itemNames: Record<string, string> = {
  custom: 'customValue',
  setting: 'roleFlag',
  settings: 'roleFlag',
  tags: 'conferenceTag',
  audio: 'audio',
};

/**
 * Stored event data (JSON) back into a result tree. Arrays in the presented
 * objects are the spec's wrapped array fields: UID lists hold strings, the
 * others take their item name from the field.
 */
export function eventDataTree(json: string): TreeObject {
  return toTree(JSON.parse(json) as unknown, '') as TreeObject;
}

function toTree(value: unknown, field: string): Tree {
  if (Array.isArray(value)) {
    const items = value.map((v) => toTree(v, ''));
    return list(itemNames[field] ?? (value.every((v) => typeof v === 'string') ? 'UID' : 'item'), items);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Tree> = {};
    for (const [key, child] of Object.entries(value)) out[key] = toTree(child, key);
    return out;
  }
  return value as Tree;
}

/** One event. */
export function presentEvent(row: EventRow): TreeObject {
  return {
    sequence: row.sequence,
    id: row.id,
    type: row.type,
    time: new Date(row.occurred_at).toISOString(),
    data: eventDataTree(row.data),
  };
}

/** getEvents: `{"event":[…],"nextCursor":…}`, XML one `<event>` per item; nextCursor only while more remain (as the lists do). */
export function presentEventList(rows: readonly EventRow[], nextCursor?: string): TreeObject {
  const event = repeated(rows.map(presentEvent));
  return nextCursor === undefined ? { event } : { event, nextCursor };
}
