/**
 * PostgreSQL: everything an API request reads before its function runs, in
 * one named prepared statement (one round trip): the customer row with the
 * hashes of its live keys (what authentication compares), the failure
 * throttle's window for the client's address, and — for a function that
 * declared which view it reads (getConference, getConferenceData) — that
 * conference's view, read in the same snapshot. Authentication stays in the
 * domain: the hashes are compared there in constant time, and the view is
 * used only once they matched. The view is read only when the offered key's
 * hash is one of the customer's live keys, so a wrong key costs no view; and
 * it is asked for only when that hash was live at this customer's previous
 * read in this process (a hint, never the authority: a wrong key then runs
 * the small statement, whose plan starts up at a third of the cost, and a
 * new key's first request reads its view in a second round trip).
 */
import type { Kysely } from 'kysely';
import { AnswerCache } from './answer-cache.js';
import { viewFingerprintSql, viewJsonSql, type ReadAhead, type ViewRequest } from './conference-view.repository.js';
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

// With a view, only for a live key: the view (the JSON text `null` when the
// customer has no such conference). getConferenceData's view is fingerprinted
// (viewFingerprintSql): $6 is the fingerprint of the one this process holds
// (null for none), and the view is built and sent only when it moved ('' when
// it did not). getConference's is small: its fingerprint cost more than the
// view (PostgreSQL 97-123 -> 167-193 us a call), so it is always read.
function withView(kind: ViewRequest['kind']): string {
  const live = `cross join lateral (select exists (select 1 from api_keys a where a.customer_uid = $1::text
      and a.key_hash = $4::text and a.revoked_at is null) as live) g`;
  if (!fingerprinted(kind)) {
    return `${base}, null as baton_fingerprint,
      case when g.live then coalesce(${viewJsonSql(kind, '$5', '$1')}, 'null') end as baton_view
    ${from} ${live}`;
  }
  return `${base}, f.fp as baton_fingerprint,
    case when g.live then
      case when f.fp is null then 'null' when f.fp = $6::text then '' else ${viewJsonSql(kind, '$5', '$1')} end
    end as baton_view
  ${from} ${live}
  left join lateral (select ${viewFingerprintSql(kind, '$5', '$1')} as fp where g.live) f on true`;
}

/** Whether a view of `kind` is read only when its fingerprint moved. */
function fingerprinted(kind: ViewRequest['kind']): boolean {
  return kind === 'conferenceData';
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
  baton_fingerprint?: string | null;
}

/** A view this process read, with its fingerprint. */
interface HeldView {
  readonly fingerprint: string;
  readonly text: string;
}

/** Per store: each customer's live key hashes at its last read (only to decide whether to ask for a view). */
const liveHashes = new WeakMap<Kysely<Database>, AnswerCache>();

/** Per store: the last view read of each (kind, customer, conference), so an unchanged one is not sent again. */
const heldViews = new WeakMap<Kysely<Database>, AnswerCache>();

/**
 * The request's up-front read in one round trip; undefined when `db` is not
 * PostgreSQL (SQLite authenticates from its exact cache and throttles in
 * memory).
 */
export async function readRequest(db: Kysely<Database>, input: RequestReadInput): Promise<RequestRead | undefined> {
  const pool = postgresPoolOf(db);
  if (!pool) return undefined;
  let hints = liveHashes.get(db);
  if (!hints) liveHashes.set(db, (hints = new AnswerCache({ entries: 10_000, bytes: 4 * 1024 * 1024 })));
  const hinted = hints.get(input.customerUid) as readonly string[] | undefined;
  if (input.view && !hinted?.includes(input.keyHash)) input = { ...input, view: undefined };
  const statement = statements[input.view?.kind ?? 'none'];
  const values: (string | null)[] = [input.customerUid, input.throttle?.scope ?? null, input.throttle?.key ?? null];
  let views: AnswerCache | undefined;
  let held: HeldView | undefined;
  let heldKey = '';
  if (input.view && fingerprinted(input.view.kind)) {
    views = heldViews.get(db);
    if (!views) heldViews.set(db, (views = new AnswerCache()));
    heldKey = `${input.view.kind}\u0000${input.customerUid}\u0000${input.view.uid}`;
    held = views.get(heldKey) as HeldView | undefined;
    values.push(input.keyHash, input.view.uid, held?.fingerprint ?? null);
  } else if (input.view) {
    values.push(input.keyHash, input.view.uid);
  }
  const result = await pool.query<Row>({ name: statement.name, text: statement.text, values });
  const found = result.rows[0]!;
  const { baton_key_hashes, baton_throttle_start, baton_throttle_hits, baton_fingerprint, ...rest } = found;
  const { baton_view, ...customer } = rest;
  let text = baton_view;
  if (text === '') text = held?.text;
  else if (typeof text === 'string' && typeof baton_fingerprint === 'string' && views) {
    views.set(heldKey, { fingerprint: baton_fingerprint, text }, [], 64 + 2 * (text.length + baton_fingerprint.length));
  }
  const throttle =
    baton_throttle_start === null || baton_throttle_hits === null
      ? undefined
      : { windowStart: Number(baton_throttle_start), hits: Number(baton_throttle_hits) };
  const known = customer.uid !== null;
  if (known) hints.set(input.customerUid, baton_key_hashes ?? [], [], 64 + 80 * (baton_key_hashes?.length ?? 0));
  else if (hinted) hints.set(input.customerUid, [], [], 64);
  return {
    keyHashes: known ? (baton_key_hashes ?? []) : [],
    customer: known ? customer : undefined,
    throttle,
    readAhead:
      input.view && typeof text === 'string' ? { ...input.view, customerUid: input.customerUid, text } : undefined,
  };
}
