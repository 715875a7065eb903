/**
 * The conference lists of the administration site: one of the five status
 * lists, narrowed by a name search and cut into pages. It reads the same
 * lists as the API, page after page (the API's cursor), so both agree and
 * every conference can be found: a search or a page past the first list
 * answer's conferenceListLimit still sees the rest.
 */
import type { CallContext } from '../context.js';
import { conferenceListLimit, listConferencesByStatus } from './conference-lists.js';
import type { ConferenceView } from './conferences.js';
import type { ConferenceStatus } from './status.js';

/**
 * Most list answers one search reads (so at most this many times conferenceListLimit conferences):
 * each costs about 40 ms, which bounds a page of the site.
 */
export const searchListReads = 10;
/** Most conferences a search looks at. */
export const searchedConferencesMax = searchListReads * conferenceListLimit;

export interface ConferencePage {
  views: ConferenceView[];
  page: number;
  pages: number;
  total: number;
  /** The status list had more than a search looks at (searchedConferencesMax). */
  truncated: boolean;
}

/** Page `page` (1-based) of the conferences with `status` whose name contains `query` (any case). */
export async function searchConferences(
  ctx: CallContext,
  status: ConferenceStatus,
  query: string,
  page: number,
  pageSize = 25,
): Promise<ConferencePage> {
  const needle = query.trim().toLowerCase();
  const wanted = Math.max(1, page);
  const first = (wanted - 1) * pageSize;
  let total = 0;
  let requested: ConferenceView[] = [];
  // The last page seen so far, for a page number past the end (shown as the last page).
  let last: ConferenceView[] = [];
  let cursor: string | undefined;
  let truncated = false;
  for (let reads = 0; ; reads++) {
    if (reads === searchListReads) {
      truncated = true;
      break;
    }
    const list = await listConferencesByStatus(ctx, status, { cursor });
    for (const view of list.views) {
      if (needle !== '' && !view.row.name.toLowerCase().includes(needle)) continue;
      if (total % pageSize === 0) last = [];
      last.push(view);
      if (total >= first && total < first + pageSize) requested.push(view);
      total++;
    }
    cursor = list.nextCursor;
    if (cursor === undefined) break;
  }
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (wanted > pages) requested = total === 0 ? [] : last;
  return { views: requested, page: Math.min(wanted, pages), pages, total, truncated };
}
