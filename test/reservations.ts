/** Helpers for tests of reserved conferences. */
import type { TestServer } from './harness.js';

/** One reservation item: a start as the client writes it, and minutes. */
export interface Item {
  startDate: string;
  duration: number | string;
  estimatedCallers?: number | string;
}

/** The numbered parameters of createConferenceReserved for `items` (1-based). */
export function reservationParams(items: readonly Item[], first = 1): Record<string, string> {
  const params: Record<string, string> = { reservationCount: String(items.length) };
  items.forEach((item, i) => {
    const n = first + i;
    params[`startDate${n}`] = item.startDate;
    params[`duration${n}`] = String(item.duration);
    if (item.estimatedCallers !== undefined) params[`estimatedCallers${n}`] = String(item.estimatedCallers);
  });
  return params;
}

/** Creates a reserved conference and returns its UID; throws if the server refuses. */
export async function createReservedConference(
  server: TestServer,
  items: readonly Item[],
  params: Record<string, string> = {},
): Promise<string> {
  const answer = await server.call('createConferenceReserved', {
    name: 'Reserved conference',
    ...params,
    ...reservationParams(items),
  });
  if (answer.code !== 0) throw new Error(`createConferenceReserved failed: ${answer.code} ${answer.message}`);
  return answer.value.UID as string;
}

/** `yyyy.MM.dd HH:mm:ss` of a UTC instant (for a customer in UTC). */
export function utcText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19).replace(/-/g, '.');
}
