/**
 * A conference with its children, as getConference and getConferenceData read
 * it. On PostgreSQL one named prepared statement returns everything in one
 * round trip: the conference row with its reservations, persons and custom
 * values aggregated as JSON and its person and call UIDs as arrays, decoded
 * here into exactly the rows the separate statements give (JSON numbers for
 * the bigint instants, which stay well inside Number's exact range; the
 * aggregates are ordered as those statements are). On SQLite, and inside a
 * transaction, it runs the separate (cached) statements as before.
 */
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { listCallUids } from './call.repository.js';
import { findConference, type ConferenceRow } from './conference.repository.js';
import { listCustomValues, listPersonCustomValues, type CustomValue } from './custom-value.repository.js';
import { postgresPoolOf } from './database.js';
import { listPersonUids, listPersons, type PersonRow } from './person.repository.js';
import { prepared, type PreparedQuery } from './prepared.js';
import { listReservations, type ReservationRow } from './reservation.repository.js';
import type { Database } from './schema.js';

/** What getConference shows of a conference's children. */
export interface ConferenceChildren {
  row: ConferenceRow;
  reservations: ReservationRow[];
  personUids: readonly string[];
  callUids: string[];
  custom: CustomValue[];
}

/** What getConferenceData shows: full persons with their custom values, and the customer's custom values. */
export interface ConferenceDataChildren extends ConferenceChildren {
  persons: PersonRow[];
  personCustom: Map<string, CustomValue[]>;
  customerCustom: CustomValue[];
}

// The aggregates of both statements. `json_agg(r …)` turns each row into an
// object with the table's columns in order, as `select *` names them.
const reservationsJson = `(select coalesce(json_agg(r order by r.start_at), '[]') from reservations r
    where r.conference_uid = c.uid and r.customer_uid = c.customer_uid) as baton_reservations`;
const callUidsArray = `array(select k.uid from calls k where k.conference_uid = c.uid and k.customer_uid = c.customer_uid
    order by k.started_at, k.uid) as baton_call_uids`;
const customJson = `(select coalesce(json_agg(json_build_array(v."key", v."value") order by v."key"), '[]')
    from custom_values v where v.customer_uid = c.customer_uid and v.object_type = 'conference' and v.object_uid = c.uid)
    as baton_custom`;

const conferenceView = prepared(
  'conference_view',
  `select c.*, ${reservationsJson},
     array(select p.uid from persons p where p.conference_uid = c.uid and p.customer_uid = c.customer_uid order by p.id)
       as baton_person_uids,
     ${callUidsArray}, ${customJson}
   from conferences c where c.uid = ? and c.customer_uid = ?`,
);

const personsJson = `(select coalesce(json_agg(p order by p.id), '[]') from persons p
    where p.conference_uid = c.uid and p.customer_uid = c.customer_uid) as baton_persons`;
const personCustomJson = `(select coalesce(json_agg(json_build_array(v.object_uid, v."key", v."value") order by v."key"), '[]')
    from custom_values v where v.customer_uid = c.customer_uid and v.object_type = 'person'
    and v.object_uid in (select q.uid from persons q where q.conference_uid = c.uid and q.customer_uid = c.customer_uid))
    as baton_person_custom`;
const customerCustomJson = `(select coalesce(json_agg(json_build_array(v."key", v."value") order by v."key"), '[]')
    from custom_values v where v.customer_uid = c.customer_uid and v.object_type = 'customer'
    and v.object_uid = c.customer_uid) as baton_customer_custom`;

const conferenceDataView = prepared(
  'conference_data_view',
  `select c.*, ${reservationsJson}, ${personsJson}, ${personCustomJson},
     ${callUidsArray}, ${customJson}, ${customerCustomJson}
   from conferences c where c.uid = ? and c.customer_uid = ?`,
);

/** The extra columns of the statements above, as node-postgres parses them (json, text[]). */
interface Aggregates {
  baton_reservations: ReservationRow[];
  baton_person_uids: string[];
  baton_call_uids: string[];
  baton_custom: [string, string][];
  baton_persons: PersonRow[];
  baton_person_custom: [string, string, string][];
  baton_customer_custom: [string, string][];
}

/** Which view a request will read, known before it is authenticated (see `ReadAhead`). */
export interface ViewRequest {
  /**
   * `versionedConference` is addPerson's: the conference row, its
   * reservations and the row's version (findConferenceVersioned's answer).
   */
  readonly kind: 'conference' | 'conferenceData' | 'versionedConference';
  /** The conference's UID, as the (validated) parameters give it. */
  readonly uid: string;
}

/**
 * A view read in the same PostgreSQL statement as the request's
 * authentication (request-read.repository.ts), for the customer that
 * statement named: `text` is the view as one JSON array, or `null` (the
 * JSON text) when the customer has no such conference. Handed to
 * `findConferenceChildren`/`findConferenceDataChildren`, which use it
 * instead of reading again; the text itself is the exact content of the
 * answer's sources, so a presentation may be reused for equal text.
 */
export interface ReadAhead extends ViewRequest {
  readonly customerUid: string;
  readonly text: string;
}

/**
 * The view of conference `$conference` of customer `$customer` as one JSON
 * array (PostgreSQL), for a statement that reads it beside something else:
 * `[row, reservations, person UIDs, call UIDs, custom values]`, and for
 * getConferenceData `[row, reservations, persons, person custom values, call
 * UIDs, custom values, customer custom values]`, for addPerson's
 * versionedConference `[row, reservations, the row's version (xmin)]`; SQL
 * null when there is no such conference. The parameters are PostgreSQL
 * placeholders (`$n`).
 */
export function viewJsonSql(kind: ViewRequest['kind'], conference: string, customer: string): string {
  const parts =
    kind === 'conference'
      ? `row_to_json(c), ${aggregate(reservationsJson)},
         to_json(array(select p.uid from persons p where p.conference_uid = c.uid and p.customer_uid = c.customer_uid
           order by p.id)), to_json(${aggregate(callUidsArray)}), ${aggregate(customJson)}`
      : kind === 'versionedConference'
        ? `row_to_json(c), ${aggregate(reservationsJson)}, c.xmin::text`
        : `row_to_json(c), ${aggregate(reservationsJson)}, ${aggregate(personsJson)}, ${aggregate(personCustomJson)},
         to_json(${aggregate(callUidsArray)}), ${aggregate(customJson)}, ${aggregate(customerCustomJson)}`;
  return `(select json_build_array(${parts})::text from conferences c
    where c.uid = ${conference}::text and c.customer_uid = ${customer}::text)`;
}

/**
 * A fingerprint of every row version the view of `kind` is built from
 * (PostgreSQL), computed in the statement's snapshot: each source table's
 * rows as `ctid` and `xmin`, and the transaction-ID epoch. A committed
 * change to any of them replaces a row version (new ctid and the writing
 * transaction's ID, which no row in an earlier snapshot can carry), adds
 * one or removes one, so equal fingerprints mean an equal view (row locks
 * such as addPerson's FOR SHARE leave xmin alone). SQL null when there is no
 * such conference. Cheaper than the view: no JSON, no wide rows sent.
 *
 * The versions are listed in a fixed order (the persons by id, as their
 * index returns them, so no sort; the other tables' few rows by ctid) and
 * sent as the SHA-256 of that list (44 characters of base64): the list of a
 * conference of 500 persons is ~7 kB, which every request sent back and
 * forth (the held one in the statement's input, the current one in its
 * row) and Node serialized, compared and parsed. Equal digests mean equal
 * lists except with probability 2^-256; the list is made of row positions
 * and transaction IDs, which no client chooses.
 */
export function viewFingerprintSql(kind: ViewRequest['kind'], conference: string, customer: string): string {
  const versions = (table: string, alias: string, where: string, order = `${alias}.ctid`) =>
    `coalesce((select string_agg(${alias}.ctid::text || ${alias}.xmin::text, ',' order by ${order})
      from ${table} ${alias} where ${where}), '')`;
  const ofConference = (alias: string) => `${alias}.conference_uid = c.uid and ${alias}.customer_uid = c.customer_uid`;
  const parts = [
    `(txid_snapshot_xmin(txid_current_snapshot()) >> 32)::text`,
    `c.ctid::text || c.xmin::text`,
    versions('reservations', 'r', ofConference('r')),
    versions('persons', 'p', ofConference('p'), 'p.id'),
    versions('calls', 'k', ofConference('k')),
    versions(
      'custom_values',
      'v',
      `v.customer_uid = c.customer_uid and v.object_type = 'conference' and v.object_uid = c.uid`,
    ),
  ];
  if (kind === 'conferenceData') {
    parts.push(
      versions(
        'custom_values',
        'v',
        `v.customer_uid = c.customer_uid and v.object_type = 'person'
          and v.object_uid in (select q.uid from persons q where ${ofConference('q')})`,
      ),
      versions(
        'custom_values',
        'v',
        `v.customer_uid = c.customer_uid and v.object_type = 'customer' and v.object_uid = c.customer_uid`,
      ),
    );
  }
  return `(select encode(sha256(convert_to(${parts.join(` || '/' || `)}, 'UTF8')), 'base64') from conferences c
    where c.uid = ${conference}::text and c.customer_uid = ${customer}::text)`;
}

/** A subquery fragment above without its `as <name>`. */
function aggregate(fragment: string): string {
  return fragment.replace(/\s+as baton_\w+$/, '');
}

/** The read-ahead view, when it is the one asked for here; undefined otherwise (the caller reads). */
/**
 * The text of the view this request read with its credentials, when it is the
 * `kind` view of conference `uid` of customer `customerUid`; undefined otherwise.
 */
export function readAheadText(
  readAhead: ReadAhead | undefined,
  kind: ViewRequest['kind'],
  customerUid: string,
  uid: string,
): string | undefined {
  return readAhead && readAhead.kind === kind && readAhead.customerUid === customerUid && readAhead.uid === uid
    ? readAhead.text
    : undefined;
}

/** PostgreSQL: the one row of `view` (a named statement) for conference `uid` of the customer; undefined for none. */
async function viewRow(
  pool: pg.Pool,
  view: PreparedQuery,
  customerUid: string,
  uid: string,
): Promise<(ConferenceRow & Aggregates) | undefined> {
  const result = await pool.query<ConferenceRow & Aggregates>({
    name: view.name,
    text: view.postgres,
    values: [uid, customerUid],
  });
  return result.rows[0];
}

function conferenceChildrenOf(found: ConferenceRow & Aggregates): ConferenceChildren {
  const { baton_reservations, baton_person_uids, baton_call_uids, baton_custom, ...row } = found;
  return {
    row,
    reservations: baton_reservations,
    personUids: baton_person_uids,
    callUids: baton_call_uids,
    custom: customValues(baton_custom),
  };
}

function conferenceDataChildrenOf(found: ConferenceRow & Aggregates): ConferenceDataChildren {
  const {
    baton_reservations,
    baton_persons,
    baton_person_custom,
    baton_call_uids,
    baton_custom,
    baton_customer_custom,
    ...row
  } = found;
  return dataChildren(
    row,
    baton_reservations,
    baton_persons,
    baton_person_custom,
    baton_call_uids,
    baton_custom,
    baton_customer_custom,
  );
}

function dataChildren(
  row: ConferenceRow,
  reservations: ReservationRow[],
  persons: PersonRow[],
  personCustomRows: readonly [string, string, string][],
  callUids: string[],
  custom: readonly [string, string][],
  customerCustom: readonly [string, string][],
): ConferenceDataChildren {
  const personCustom = new Map<string, CustomValue[]>();
  for (const [objectUid, key, value] of personCustomRows) {
    let values = personCustom.get(objectUid);
    if (!values) personCustom.set(objectUid, (values = []));
    values.push({ key, value });
  }
  return {
    row,
    reservations,
    personUids: persons.map((p) => p.uid),
    persons,
    personCustom,
    callUids,
    custom: customValues(custom),
    customerCustom: customValues(customerCustom),
  };
}

/** The conference `uid` of the customer with what getConference shows; undefined when it has none. */
export async function findConferenceChildren(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
  readAhead?: ReadAhead,
): Promise<ConferenceChildren | undefined> {
  const text = readAheadText(readAhead, 'conference', customerUid, uid);
  if (text !== undefined) {
    const view = JSON.parse(text) as [ConferenceRow, ReservationRow[], string[], string[], [string, string][]] | null;
    if (view === null) return undefined;
    const [row, reservations, personUids, callUids, custom] = view;
    return { row, reservations, personUids, callUids, custom: customValues(custom) };
  }
  const pool = postgresPoolOf(db);
  if (pool) {
    const found = await viewRow(pool, conferenceView, customerUid, uid);
    return found ? conferenceChildrenOf(found) : undefined;
  }
  const row = await findConference(db, customerUid, uid);
  if (!row) return undefined;
  const [reservations, personUids, callUids, custom] = await Promise.all([
    listReservations(db, customerUid, row.uid),
    listPersonUids(db, customerUid, row.uid),
    listCallUids(db, customerUid, row.uid),
    listCustomValues(db, customerUid, 'conference', row.uid),
  ]);
  return { row, reservations, personUids, callUids, custom };
}

/** The conference `uid` of the customer with what getConferenceData shows; undefined when it has none. */
export async function findConferenceDataChildren(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
  readAhead?: ReadAhead,
): Promise<ConferenceDataChildren | undefined> {
  const text = readAheadText(readAhead, 'conferenceData', customerUid, uid);
  if (text !== undefined) {
    const view = JSON.parse(text) as
      | [
          ConferenceRow,
          ReservationRow[],
          PersonRow[],
          [string, string, string][],
          string[],
          [string, string][],
          [string, string][],
        ]
      | null;
    if (view === null) return undefined;
    const [row, reservations, persons, personCustom, callUids, custom, customerCustom] = view;
    return dataChildren(row, reservations, persons, personCustom, callUids, custom, customerCustom);
  }
  const pool = postgresPoolOf(db);
  if (pool) {
    const found = await viewRow(pool, conferenceDataView, customerUid, uid);
    return found ? conferenceDataChildrenOf(found) : undefined;
  }
  const row = await findConference(db, customerUid, uid);
  if (!row) return undefined;
  const [reservations, persons, personCustom, callUids, custom, customerCustom] = await Promise.all([
    listReservations(db, customerUid, row.uid),
    listPersons(db, customerUid, row.uid),
    listPersonCustomValues(db, customerUid, row.uid),
    listCallUids(db, customerUid, row.uid),
    listCustomValues(db, customerUid, 'conference', row.uid),
    listCustomValues(db, customerUid, 'customer', customerUid),
  ]);
  return {
    row,
    reservations,
    personUids: persons.map((p) => p.uid),
    persons,
    personCustom,
    callUids,
    custom,
    customerCustom,
  };
}

/** `[key, value]` pairs → the objects the custom-value reads give. */
function customValues(pairs: readonly [string, string][]): CustomValue[] {
  return pairs.map(([key, value]) => ({ key, value }));
}
