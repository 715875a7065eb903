/**
 * PostgreSQL: everything an API request reads before its function runs — the
 * customer row with the hashes of its live keys (what authentication
 * compares), the failure throttle's window for the client's address, and, for
 * a function that declared which view it reads (getConference,
 * getConferenceData; addPerson its conference with the row's version), that
 * conference's view — for many requests in one named prepared statement (one
 * round trip).
 *
 * The requests of a process that need this read while no batch is being sent
 * wait for the end of the event-loop turn and go together, as one statement
 * over a JSON array of their inputs, one row per distinct input;
 * while a batch is out, new requests gather for the next one, sent when it
 * returns. So the round trip (~100–120 µs of CPU on each side) is shared.
 * Exactness is kept: a batch's statement starts after every request in it
 * arrived, so its snapshot holds every commit that finished before any of
 * them arrived (a key revoked or a customer suspended by another process is
 * refused on the next request), as one statement per request did.
 *
 * Authentication stays in the domain: the hashes are compared there in
 * constant time, and the view is used only once they matched. The statement
 * builds a request's view only when the offered key's hash is one of the
 * customer's live keys, so a wrong key costs no view.
 */
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { AnswerCache } from './answer-cache.js';
import { viewFingerprintSql, viewJsonSql, type ReadAhead, type ViewRequest } from './conference-view.repository.js';
import type { CustomerRow } from './customer.repository.js';
import { postgresPoolOf } from './database.js';
import type { Database } from './schema.js';
import { KeyedGroups } from './pg-groups.js';
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

/**
 * The batched statement. $1 is a JSON array with one array per request:
 * [customer UID, throttle scope (null: no throttle), throttle key, the
 * offered key's hash, the view's kind (null: none), its conference UID, the
 * fingerprint of the getConferenceData view this process holds (null for
 * none)]. JSON rather than `unnest` over text arrays: PostgreSQL estimates
 * `unnest` of a known array by its length, so every execution of a prepared
 * statement over arrays was planned again for its batch's size (a custom
 * plan, ~1.7 ms of its CPU for the whole statement); `json_array_elements`
 * is estimated alike for every value, so the statement keeps one generic
 * plan. Each `offset 0` keeps a lateral part computed once per request
 * (inlined, its expression was evaluated at each use, and the fingerprint
 * ahead of its guard). The customer and the throttle window are
 * left-joined, so an unknown customer still answers the window. getConferenceData's view is fingerprinted (viewFingerprintSql) and
 * built and sent only when it moved ('' when it did not); getConference's
 * is small (its fingerprint cost more than the view), so it is always built
 * for a live key, as is addPerson's versionedConference (the row, its
 * reservations and xmin: what its guarded write compares). CASE evaluates
 * only the branch it takes, so a request without a view, or with a wrong
 * key, builds none.
 */
function batchSql(data: boolean): string {
  const versioned = `when i.kind = 'versionedConference'
      then coalesce(${viewJsonSql('versionedConference', 'i.conf', 'i.cust')}, 'null')`;
  const view = data
    ? `case when not h.live then null
      when i.kind = 'conference' then coalesce(${viewJsonSql('conference', 'i.conf', 'i.cust')}, 'null')
      ${versioned}
      when f.fp is null then 'null'
      when f.fp = i.held then ''
      else ${viewJsonSql('conferenceData', 'i.conf', 'i.cust')}
    end`
    : `case when not h.live then null
      when i.kind = 'conference' then coalesce(${viewJsonSql('conference', 'i.conf', 'i.cust')}, 'null')
      ${versioned}
    end`;
  const fingerprint = data
    ? `cross join lateral (select case when h.live and i.kind = 'conferenceData'
      then ${viewFingerprintSql('conferenceData', 'i.conf', 'i.cust')} end as fp offset 0) f`
    : '';
  return `select i.n as baton_n, cu.*, h.hashes as baton_key_hashes,
    t.window_start as baton_throttle_start, t.hits as baton_throttle_hits,
    ${data ? 'f.fp' : 'null'} as baton_fingerprint, ${view} as baton_view
  from json_array_elements($1::json) with ordinality as e(v, n)
  cross join lateral (select e.n, e.v->>0 as cust, e.v->>1 as scope, e.v->>2 as tkey, e.v->>3 as hash,
      e.v->>4 as kind, e.v->>5 as conf, e.v->>6 as held offset 0) i
  cross join lateral (select x.hashes, i.kind is not null and i.hash = any(x.hashes) as live
      from (select array(select k.key_hash from api_keys k where k.customer_uid = i.cust and k.revoked_at is null)
        as hashes offset 0) x offset 0) h
  ${fingerprint}
  left join lateral (select * from customers c where c.uid = i.cust offset 0) cu on true
  left join lateral (select w.window_start, w.hits from throttle_counters w
      where w.scope = i.scope and w."key" = i.tkey offset 0) t on true`;
}

/** The two statements: without getConferenceData's branch (its plan starts up at less cost), and with it. */
export const requestReadStatements = {
  conference: { name: 'baton_request_read_batch', text: batchSql(false) },
  data: { name: 'baton_request_read_batch_data', text: batchSql(true) },
} as const;

interface Row extends CustomerRow {
  baton_n: string | number;
  baton_key_hashes: string[] | null;
  baton_throttle_start: number | null;
  baton_throttle_hits: number | null;
  baton_view: string | null;
  baton_fingerprint: string | null;
}

/** A view this process read, with its fingerprint. */
interface HeldView {
  readonly fingerprint: string;
  readonly text: string;
}

/** One request waiting for its batch. */
interface Waiting {
  readonly input: RequestReadInput;
  /** For getConferenceData: where its view is held, and the one held when the batch was built. */
  readonly heldKey: string;
  held: HeldView | undefined;
}

/**
 * How many requests one statement reads at most, and how many statements a
 * process has out at once. One batch is out while the next gathers: the
 * bigger the batch, the less each request costs (bench/pg-request-read.ts,
 * PostgreSQL / client CPU µs a request: 1 a statement 129 / 59, 4: 49 / 27,
 * 16: 34 / 17, 64: 26 / 11), and over HTTP (32 connections, 2 workers) one out
 * at a time cost less than two or four (Node 96 / 114 / 130 µs, PostgreSQL
 * 46 / 54 / 56 µs a request). A full batch does not wait: under more load
 * than one statement carries, full batches go out side by side, up to
 * `inFlightLimit` (below the pool's default 4, so other queries still find a
 * connection), and a batch stays small enough not to hold its first
 * requests long.
 */
const batchLimit = 32;
const inFlightLimit = 3;

/**
 * The per-store batcher: every request is one key's item of KeyedGroups
 * (pg-groups.ts, the store's one batching mechanism), so requests gather
 * while the turn runs and while the batches out are full.
 */
class RequestReadBatcher {
  /** Statements sent, requests they read and rows they read (one per distinct input), since the process started. */
  readonly counts = { statements: 0, requests: 0, rows: 0 };
  private readonly batches = new KeyedGroups<Waiting, RequestRead>(
    (_key, batch) => this.send(batch),
    batchLimit,
    inFlightLimit,
  );
  /** The last view read of each (kind, customer, conference), so an unchanged one is not sent again. */
  private readonly views = new AnswerCache();

  constructor(private readonly pool: pg.Pool) {}

  read(input: RequestReadInput): Promise<RequestRead> {
    const heldKey =
      input.view?.kind === 'conferenceData'
        ? `${input.view.kind}\u0000${input.customerUid}\u0000${input.view.uid}`
        : '';
    const waiting: Waiting = { input, heldKey, held: undefined };
    // Text PostgreSQL refuses would fail the whole statement: read alone, it fails only itself.
    if (unreadable(input)) return this.send([waiting]).then((answers) => answers[0]!);
    return this.batches.add('', waiting);
  }

  private async send(batch: Waiting[]): Promise<(RequestRead | Promise<RequestRead>)[]> {
    const n = batch.length;
    // Equal inputs read in one snapshot read alike: each distinct one is one row of the statement.
    const inputs: (string | null)[][] = [];
    const rowOf = new Array<number>(n);
    const distinct = new Map<string, number>();
    let data = false;
    for (let i = 0; i < n; i++) {
      const waiting = batch[i]!;
      const { input } = waiting;
      if (waiting.heldKey) {
        data = true;
        waiting.held = this.views.get(waiting.heldKey) as HeldView | undefined;
      }
      const fields = [
        input.customerUid,
        input.throttle?.scope ?? null,
        input.throttle?.key ?? null,
        input.keyHash,
        input.view?.kind ?? null,
        input.view?.uid ?? null,
        waiting.held?.fingerprint ?? null,
      ];
      const key = JSON.stringify(fields);
      let row = distinct.get(key);
      if (row === undefined) {
        distinct.set(key, (row = inputs.length));
        inputs.push(fields);
      }
      rowOf[i] = row;
    }
    const values = [JSON.stringify(inputs)];
    const statement = data ? requestReadStatements.data : requestReadStatements.conference;
    this.counts.statements++;
    this.counts.requests += n;
    this.counts.rows += inputs.length;
    const result = await this.pool.query<Row>({ name: statement.name, text: statement.text, values });
    // Placed by ordinality: the plan's join order is not a promise of row order.
    const rows = new Array<Row | undefined>(inputs.length);
    for (const row of result.rows) rows[Number(row.baton_n) - 1] = row;
    return batch.map((waiting, i) => {
      const row = rows[rowOf[i]!];
      return row
        ? this.decode(waiting, row)
        : Promise.reject(new Error('request read: no row for a request of the batch'));
    });
  }

  private decode(waiting: Waiting, row: Row): RequestRead {
    const { input, held } = waiting;
    const {
      baton_n,
      baton_key_hashes,
      baton_throttle_start,
      baton_throttle_hits,
      baton_fingerprint,
      baton_view,
      ...customer
    } = row;
    void baton_n;
    let text = baton_view;
    if (text === '') text = held?.text ?? null;
    else if (typeof text === 'string' && typeof baton_fingerprint === 'string' && waiting.heldKey) {
      this.views.set(
        waiting.heldKey,
        { fingerprint: baton_fingerprint, text },
        [],
        64 + 2 * (text.length + baton_fingerprint.length),
      );
    }
    const throttle =
      baton_throttle_start === null || baton_throttle_hits === null
        ? undefined
        : { windowStart: Number(baton_throttle_start), hits: Number(baton_throttle_hits) };
    const known = customer.uid !== null;
    return {
      keyHashes: known && baton_key_hashes ? baton_key_hashes.slice() : [],
      customer: known ? customer : undefined,
      throttle,
      readAhead:
        input.view && typeof text === 'string' ? { ...input.view, customerUid: input.customerUid, text } : undefined,
    };
  }
}

/** A NUL or a lone surrogate: what PostgreSQL cannot take as text (the API refuses both before this). */
const refusedText = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function unreadable(input: RequestReadInput): boolean {
  return (
    refusedText.test(input.customerUid) ||
    refusedText.test(input.keyHash) ||
    (input.throttle !== undefined &&
      (refusedText.test(input.throttle.scope) || refusedText.test(input.throttle.key))) ||
    (input.view !== undefined && refusedText.test(input.view.uid))
  );
}

const batchers = new WeakMap<Kysely<Database>, RequestReadBatcher>();

/**
 * The request's up-front read, in the batch that leaves at the end of this
 * turn (or when the process's batches out return); undefined when `db` is not
 * PostgreSQL (SQLite authenticates from its exact cache and throttles in
 * memory). A failed statement rejects every request of its batch.
 */
export async function readRequest(db: Kysely<Database>, input: RequestReadInput): Promise<RequestRead | undefined> {
  let batcher = batchers.get(db);
  if (!batcher) {
    const pool = postgresPoolOf(db);
    if (!pool) return undefined;
    batchers.set(db, (batcher = new RequestReadBatcher(pool)));
  }
  return batcher.read(input);
}

/**
 * How many batched statements this store's process sent, how many requests
 * they read, and in how many rows (PostgreSQL; zeros otherwise).
 */
export function requestReadCounts(db: Kysely<Database>): { statements: number; requests: number; rows: number } {
  const counts = batchers.get(db)?.counts;
  return counts ? { ...counts } : { statements: 0, requests: 0, rows: 0 };
}
