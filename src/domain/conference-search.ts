/**
 * The conference lists of the administration site: one of the five status
 * lists, narrowed by a name search and cut into pages. It reads the same
 * list as the API (at most conferenceListLimit conferences) so both agree.
 */
import type { CallContext } from '../context.js';
import { listConferencesByStatus } from './conference-lists.js';
import type { ConferenceView } from './conferences.js';
import type { ConferenceStatus } from './status.js';

export interface ConferencePage {
  views: ConferenceView[];
  page: number;
  pages: number;
  total: number;
  /** The status list had more than it holds. */
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
  const { views, truncated } = await listConferencesByStatus(ctx, status);
  const needle = query.trim().toLowerCase();
  const matching = needle === '' ? views : views.filter((v) => v.row.name.toLowerCase().includes(needle));
  const pages = Math.max(1, Math.ceil(matching.length / pageSize));
  const current = Math.min(Math.max(1, page), pages);
  return {
    views: matching.slice((current - 1) * pageSize, current * pageSize),
    page: current,
    pages,
    total: matching.length,
    truncated,
  };
}
