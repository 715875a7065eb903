/**
 * PostgreSQL: everything an API request reads before its function runs, in
 * one named prepared statement (one round trip): the customer row with the
 * hashes of its live keys (what authentication compares), the failure
 * throttle's window for the client's address, and — for a function that
 * declared which view it reads (getConference, getConferenceData) — that
 * conference's view, read in the same snapshot. Authentication stays in the
 * domain: the hashes are compared there in constant time, and the view is
 * used only once they matched. The view is read only when the offered key's
 * hash is one of the customer's live keys, so a wrong key costs no view.
 */
import type { Kysely } from 'kysely';
import { viewJsonSql, type ReadAhead, type ViewRequest } from './conference-view.repository.js';
import type { CustomerRow } from './customer.repository.js';
import { postgresPoolOf } from './database.js';
import type { Database } from './schema.js';
import type { ThrottleWindow } from './throttle.repository.js';

/** The throttle counter a request checks: its scope and key (already bounded). */
export interface ThrottleTarget {
  readonly scope: string;
  readonly key: string;
}

/** What one request reads up front. */
export interface RequestReadInput {
  customerUid: string;
  /** SHA-256 hex of the offered key: the view is read only when it is a live key's. */
  keyHash: string;
  throttle?: ThrottleTarget;
  view?: ViewRequest;
}

/** What the statement answered. */
export interface RequestRead {
  keyHashes: string[];
  /** Undefined for an unknown customer. */
  customer: CustomerRow | undefined;
  throttle: ThrottleWindow | undefined;
  /** The view, when one was asked for and the key's hash was live; undefined otherwise. */
  readAhead: ReadAhead | undefined;
}

// $1 customer UID, $2 throttle scope (null: no throttle), $3 throttle key,
// then for a view $4 the offered key's hash and $5 the conference UID. The
// customer and the throttle window are left-joined to one row, so an unknown
// customer still answers the window.
const base = `select cu.*,
    array(select k.key_hash from api_keys k where k.customer_uid = cu.uid and k.revoked_at is null) as baton_key_hashes,
    t.window_start as baton_throttle_start, t.hits as baton_throttle_hits`;
const from = `from (select 1) one
  left join customers cu on cu.uid = $1::text
  left join throttle_counters t on t.scope = $2::text and t."key" = $3::text`;

function withView(kind: ViewRequest['kind']): string {
  return `${base},
    case when exists (select 1 from api_keys g where g.customer_uid = $1::text and g.key_hash = $4::text
        and g.revoked_at is null)
      then coalesce(${viewJsonSql(kind, '$5', '$1')}, 'null') end as baton_view
  ${from}`;
}

const statements = {
  none: { name: 'baton_request_read', text: `${base} ${from}` },
  conference: { name: 'baton_request_read_conference', text: withView('conference') },
  conferenceData: { name: 'baton_request_read_conference_data', text: withView('conferenceData') },
} as const;

interface Row extends CustomerRow {
  baton_key_hashes: string[] | null;
  baton_throttle_start: number | null;
  baton_throttle_hits: number | null;
  baton_view?: string | null;
}

/**
 * The request's up-front read in one round trip; undefined when `db` is not
 * PostgreSQL (SQLite authenticates from its exact cache and throttles in
 * memory).
 */
export async function readRequest(db: Kysely<Database>, input: RequestReadInput): Promise<RequestRead | undefined> {
  const pool = postgresPoolOf(db);
  if (!pool) return undefined;
  const statement = statements[input.view?.kind ?? 'none'];
  const values: (string | null)[] = [input.customerUid, input.throttle?.scope ?? null, input.throttle?.key ?? null];
  if (input.view) values.push(input.keyHash, input.view.uid);
  const result = await pool.query<Row>({ name: statement.name, text: statement.text, values });
  const found = result.rows[0]!;
  const { baton_key_hashes, baton_throttle_start, baton_throttle_hits, baton_view, ...customer } = found;
  const throttle =
    baton_throttle_start === null || baton_throttle_hits === null
      ? undefined
      : { windowStart: Number(baton_throttle_start), hits: Number(baton_throttle_hits) };
  const known = customer.uid !== null;
  return {
    keyHashes: known ? (baton_key_hashes ?? []) : [],
    customer: known ? customer : undefined,
    throttle,
    readAhead:
      input.view && typeof baton_view === 'string'
        ? { ...input.view, customerUid: input.customerUid, text: baton_view }
        : undefined,
  };
}
