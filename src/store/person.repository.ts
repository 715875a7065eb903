/** SQL for persons and their dial-in PIN claims. Every statement is scoped by customer. */
import { fastAll, fastAllBuilt, groupAll, groupInsert, groupRun, prepared, type PreparedQuery } from './prepared.js';
import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import pg from 'pg';
import { isPostgres, postgresPoolOf, sqliteExecutorOf } from './database.js';
import { andThen, isPromise, type MaybePromise } from '../maybe-promise.js';
import { keeperOfReads } from './sqlite-executor.js';
import { KeyedGroups } from './pg-groups.js';
import type { Database, PersonTable } from './schema.js';
import type { IdempotencyClaim, StoredAnswer } from './idempotency.repository.js';

export type PersonRow = Selectable<PersonTable>;
export type NewPerson = Insertable<PersonTable>;
export type PersonPatch = Updateable<PersonTable>;

/** The raw insert for a row with these columns (the domain always sends the same ones), by column list. */
const personInserts = new Map<string, PreparedQuery>();

function personInsert(columns: readonly string[]): PreparedQuery {
  const key = columns.join(',');
  let query = personInserts.get(key);
  if (!query) {
    const names = columns.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
    const marks = columns.map(() => '?').join(', ');
    query = prepared(
      `insert_person_${personInserts.size}`,
      `insert into persons (${names}) values (${marks}) returning *`,
    );
    personInserts.set(key, query);
  }
  return query;
}

/** Every column of persons after `id`, in the table's order. */
const personColumns = [
  'uid',
  'conference_uid',
  'customer_uid',
  'name',
  'email',
  'notes',
  'custom1',
  'custom2',
  'role',
  'pin',
  'ani',
  'created_at',
] as const;
const personInsertAll = prepared(
  'insert_person_all',
  `insert into persons (${personColumns.join(', ')}) values (${personColumns.map(() => '?').join(', ')})`,
);
// Neither writes a conference or its reservations (the persons' trigger writes only the change log).
keeperOfReads(personInsertAll.sqlite);

/** `row`'s values in `personColumns` order, or undefined when it leaves a column out (no closures: the hot path's insert). */
function everyColumnOf(row: NewPerson): unknown[] | undefined {
  const values = new Array<unknown>(personColumns.length);
  for (let i = 0; i < personColumns.length; i++) {
    const value = row[personColumns[i]!];
    if (value === undefined) return undefined;
    values[i] = value;
  }
  return values;
}

/**
 * Inserts a person and returns the row; inside an SQLite write group on a raw
 * prepared statement. A row that gives every column is the row as stored but
 * its id, so it is inserted without RETURNING (better-sqlite3 builds a
 * returned row's object through slow native property sets: 9.9 against 6.2
 * µs) and comes back with the rowid, its columns in the table's order.
 * Inside a write group the row comes at once (no promise); elsewhere a promise.
 */
export function insertPerson(db: Kysely<Database>, row: NewPerson): MaybePromise<PersonRow> {
  const values = everyColumnOf(row);
  if (values !== undefined) {
    const id = groupInsert(db, personInsertAll, values);
    if (id !== undefined) {
      const { uid, conference_uid, customer_uid, name, email, notes, custom1, custom2, role, pin, ani, created_at } =
        row as Required<NewPerson>;
      return {
        id,
        uid,
        conference_uid,
        customer_uid,
        name,
        email,
        notes,
        custom1,
        custom2,
        role,
        pin,
        ani,
        created_at,
      };
    }
  }
  const columns = Object.keys(row).filter((c) => row[c as keyof NewPerson] !== undefined);
  const inserted = groupAll<PersonRow>(
    db,
    personInsert(columns),
    columns.map((c) => row[c as keyof NewPerson]),
  );
  if (inserted) return inserted[0]!;
  return db.insertInto('persons').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findPerson(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
): Promise<PersonRow | undefined> {
  return db
    .selectFrom('persons')
    .selectAll()
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .executeTakeFirst();
}

/** The persons of a conference, in registration order. */
export async function listPersons(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<PersonRow[]> {
  return (
    fastAllBuilt(db, personsOfConference, [conferenceUid, customerUid], personFromValues) ??
    db
      .selectFrom('persons')
      .selectAll()
      .where('conference_uid', '=', conferenceUid)
      .where('customer_uid', '=', customerUid)
      .orderBy('id')
      .execute()
  );
}

// The columns by name, in the order personFromValues reads them.
const personsOfConference = prepared(
  'persons_of_conference',
  `select id, uid, conference_uid, customer_uid, name, email, notes, custom1, custom2, role, pin, ani, created_at
   from persons where conference_uid = ? and customer_uid = ? order by id`,
);

/** A row of personsOfConference read as an array (SQLite), as the object the rest of Baton reads. */
function personFromValues(v: unknown[]): PersonRow {
  return {
    id: v[0],
    uid: v[1],
    conference_uid: v[2],
    customer_uid: v[3],
    name: v[4],
    email: v[5],
    notes: v[6],
    custom1: v[7],
    custom2: v[8],
    role: v[9],
    pin: v[10],
    ani: v[11],
    created_at: v[12],
  } as PersonRow;
}
const personUidsOfConference = prepared(
  'person_uids_of_conference',
  'select uid from persons where conference_uid = ? and customer_uid = ? order by id',
);

/** The id of a person (the end of a conference's person-UID list, to read what was appended after it). */
const personIdOfUid = prepared('person_id_of_uid', 'select id from persons where uid = ? and customer_uid = ?');

/** The persons of a conference after the one with id `?`, in id order (what was appended since). */
const personUidsAfter = prepared(
  'person_uids_after',
  'select uid, id from persons where conference_uid = ? and customer_uid = ? and id > ? order by id',
);

export async function listPersonUids(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<readonly string[]> {
  const executor = sqliteExecutorOf(db);
  if (executor) {
    // A new person is appended (ids are AUTOINCREMENT and the list is in id order): after addPersons, only the
    // persons after the last one this process read are read (SqliteExecutor.cachedAppendOnly, migration 015).
    const all = executor.statement(personUidsOfConference.sqlite, 'pluck');
    const idOf = executor.statement(personIdOfUid.sqlite, 'pluck');
    const after = executor.statement(personUidsAfter.sqlite, 'array');
    const uids = executor.cachedAppendOnly<string>(
      `${personUidsOfConference.name}\u0000${conferenceUid}\u0000${customerUid}`,
      conferenceUid,
      () => {
        const values = all.all(conferenceUid, customerUid) as string[];
        const last = values.length === 0 ? 0 : (idOf.get(values.at(-1), customerUid) as number | undefined);
        return { values, last };
      },
      (last) => {
        const rows = after.all(conferenceUid, customerUid, last) as [string, number][];
        return { values: rows.map((row) => row[0]), last: rows.at(-1)?.[1] };
      },
    );
    return isPromise(uids) ? uids : Promise.resolve(uids);
  }
  const rows =
    fastAll<{ uid: string }>(db, personUidsOfConference, [conferenceUid, customerUid]) ??
    listPersonUidsOf(db, customerUid, [conferenceUid]);
  return (await rows).map((r) => r.uid);
}

/** The person UIDs of many conferences, in registration order. */
export async function listPersonUidsOf(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUids: readonly string[],
): Promise<{ conference_uid: string; uid: string }[]> {
  if (conferenceUids.length === 0) return [];
  return db
    .selectFrom('persons')
    .select(['conference_uid', 'uid'])
    .where('conference_uid', 'in', conferenceUids)
    .where('customer_uid', '=', customerUid)
    .orderBy('id')
    .execute();
}

/**
 * The earliest person of a conference with this email, compared without case
 * (self-registration: the same address registering twice is one registration).
 */
export async function findRegistrationByEmail(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
  email: string,
): Promise<PersonRow | undefined> {
  return db
    .selectFrom('persons')
    .selectAll()
    .where('conference_uid', '=', conferenceUid)
    .where('customer_uid', '=', customerUid)
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .orderBy('id')
    .executeTakeFirst();
}

export async function updatePerson(
  db: Kysely<Database>,
  customerUid: string,
  uid: string,
  patch: PersonPatch,
): Promise<PersonRow | undefined> {
  return db
    .updateTable('persons')
    .set(patch)
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .returningAll()
    .executeTakeFirst();
}

export async function deletePerson(db: Kysely<Database>, customerUid: string, uid: string): Promise<void> {
  await db.deleteFrom('pin_claims').where('person_uid', '=', uid).execute();
  await db
    .deleteFrom('custom_values')
    .where('object_type', '=', 'person')
    .where('object_uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .execute();
  await db.deleteFrom('persons').where('uid', '=', uid).where('customer_uid', '=', customerUid).execute();
}

// Run in SQLite's write groups, which read how many rows it changed (a RETURNING row would be one more object).
const claimPinQuery = prepared(
  'claim_pin',
  'insert into pin_claims (did, pin, person_uid, conference_uid) values (?, ?, ?, ?) on conflict (did, pin) do nothing',
);
keeperOfReads(claimPinQuery.sqlite);
const pinHolderQuery = prepared(
  'pin_holder',
  'select pin_claims.person_uid, pin_claims.conference_uid, conferences.customer_uid, conferences.reserved, ' +
    'conferences.canceled_at, conferences.active_call_uid, conferences.last_end ' +
    'from pin_claims inner join conferences on conferences.uid = pin_claims.conference_uid ' +
    'where pin_claims.did = ? and pin_claims.pin = ?',
);
const takeOverPinQuery = prepared(
  'take_over_pin',
  'update pin_claims set person_uid = ?, conference_uid = ? where did = ? and pin = ? and person_uid = ?',
);

/** Claims `pin` on `did` for a person; false when someone holds it already (at once inside a write group). */
export function claimPin(
  db: Kysely<Database>,
  claim: { did: string; pin: string; person_uid: string; conference_uid: string },
): MaybePromise<boolean> {
  const claimed = groupRun(db, claimPinQuery, [claim.did, claim.pin, claim.person_uid, claim.conference_uid]);
  if (claimed !== undefined) return claimed === 1;
  return db
    .insertInto('pin_claims')
    .values(claim)
    .onConflict((oc) => oc.columns(['did', 'pin']).doNothing())
    .returning('pin')
    .executeTakeFirst()
    .then((inserted) => inserted !== undefined);
}

/**
 * Claims `claim.pin` and inserts `person` with it, in the caller's
 * transaction; undefined, with nothing written, when someone holds the PIN
 * (the caller then applies the PIN rules: take-over, another draw). On
 * PostgreSQL one statement (a writable CTE: the person is inserted only if the
 * claim was); on SQLite the two statements claimPin and insertPerson.
 */
export function insertPersonClaimingPin(
  trx: Kysely<Database>,
  claim: { did: string; pin: string },
  person: NewPerson,
): MaybePromise<PersonRow | undefined> {
  const full = { did: claim.did, pin: claim.pin, person_uid: person.uid, conference_uid: person.conference_uid };
  if (isPostgres(trx)) return insertPersonClaimingPinPostgres(trx, full, person);
  // Inside an SQLite write group both statements run at once, with no promise between them.
  return andThen(claimPin(trx, full), (claimed) =>
    claimed ? insertPerson(trx, person.pin === claim.pin ? person : { ...person, pin: claim.pin }) : undefined,
  );
}

async function insertPersonClaimingPinPostgres(
  trx: Kysely<Database>,
  full: { did: string; pin: string; person_uid: string; conference_uid: string },
  person: NewPerson,
): Promise<PersonRow | undefined> {
  const result = await sql<PersonRow>`
    with claim as (
      insert into pin_claims (did, pin, person_uid, conference_uid)
      values (${full.did}, ${full.pin}, ${full.person_uid}, ${full.conference_uid})
      on conflict (did, pin) do nothing returning pin)
    insert into persons (uid, conference_uid, customer_uid, name, email, notes, custom1, custom2, role, pin, ani, created_at)
    select ${person.uid}, ${person.conference_uid}, ${person.customer_uid}, ${person.name ?? ''}, ${person.email ?? ''},
      ${person.notes ?? ''}, ${person.custom1 ?? ''}, ${person.custom2 ?? ''}, ${person.role}, claim.pin,
      ${person.ani ?? ''}, ${person.created_at}::bigint
    from claim
    returning *`.execute(trx);
  return result.rows[0];
}

const insertPersonIfUnchangedQuery = prepared(
  'insert_person_if_conference_unchanged',
  `with conference as (
     select c.uid from conferences c where c.uid = ? and c.customer_uid = ? and c.xmin::text = ?
     for share of c),
   claim as (
     insert into pin_claims (did, pin, person_uid, conference_uid)
     select ?, ?, ?, conference.uid from conference
     on conflict (did, pin) do nothing returning pin, person_uid, conference_uid),
   person as (
     insert into persons (uid, conference_uid, customer_uid, name, email, notes, custom1, custom2, role, pin, ani, created_at)
     select claim.person_uid, claim.conference_uid, ?, ?, ?, ?, ?, ?, ?, claim.pin, ?, ?::bigint from claim
     returning *),
   counter as (
     insert into event_counters (customer_uid, last_sequence)
     select person.customer_uid, ?::bigint from person
     on conflict (customer_uid) do update set last_sequence = event_counters.last_sequence + excluded.last_sequence
     returning customer_uid, last_sequence),
   appended as (
     insert into events (customer_uid, sequence, id, type, occurred_at, data)
     select counter.customer_uid, counter.last_sequence - cardinality(?::text[]) + e.ord, e.id, e.type, e.occurred_at, e.data
     from counter, unnest(?::text[], ?::text[], ?::bigint[], ?::text[]) with ordinality as e(id, type, occurred_at, data, ord)
     returning sequence)
   select person.* from person`,
);

/**
 * The group statement of insertPersonGroup. `keyed`: the variant for a group
 * in which some registrations carry an Idempotency-Key's claim with the
 * answer to store (see KeyClaimInWrite): such a registration claims its PIN
 * only when its key has no row in the statement's snapshot, and the key's
 * row goes in, done, with each such person inserted. The key's insert has no
 * ON CONFLICT: a claim of the same key that committed or is in flight beside
 * the statement (another process) makes the server refuse the statement as a
 * whole, so nothing of it is written and every member runs alone. The
 * key's probe is one primary-key lookup a registration: its `offset 0`
 * keeps PostgreSQL from turning the EXISTS into a hashed subplan, which read
 * every key of the customer at each run (the generic plan, estimating a few
 * keys a customer before ANALYZE caught up: 1.2 ms for 3,776 keys).
 */
function groupInsertSql(keyed: boolean): string {
  const keyArrays = keyed
    ? ', ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::int[], ?::text[], ?::text[]'
    : '';
  const keyColumns = keyed ? ', ikey, ihash, ilocked, icreated, iexpires, icode, imessage, ivalue' : '';
  const keyFree = keyed
    ? `
     where i.ikey is null or not exists (
       select 1 from idempotency_keys k, customer where k.customer_uid = customer.uid and k.key = i.ikey offset 0)`
    : '';
  const keyInsert = keyed
    ? `
   keyed as (
     insert into idempotency_keys (customer_uid, key, request_hash, state, code, message, value, locked_until,
       created_at, expires_at)
     select customer.uid, i.ikey, i.ihash, 'done', i.icode, i.imessage, i.ivalue, i.ilocked, i.icreated, i.iexpires
     from person p join input i on i.uid = p.uid, customer
     where i.ikey is not null
     returning key),`
    : '';
  return `with input as (
     select * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
       ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::text[]${keyArrays})
       with ordinality as i(conference_uid, version, did, pin, uid, name, email, notes, custom1, custom2, role, ani,
         created_at, event_id, event_type, occurred_at, data${keyColumns}, ord)),
   customer as (select ?::text as uid),
   conference as (
     select c.uid, c.xmin::text as version from conferences c, customer
     where c.customer_uid = customer.uid and c.uid in (select conference_uid from input)
     for share of c),
   claim as (
     insert into pin_claims (did, pin, person_uid, conference_uid)
     select i.did, i.pin, i.uid, i.conference_uid
     from input i join conference c on c.uid = i.conference_uid and c.version = i.version${keyFree}
     order by i.ord
     on conflict (did, pin) do nothing
     returning person_uid),
   person as (
     insert into persons (uid, conference_uid, customer_uid, name, email, notes, custom1, custom2, role, pin, ani, created_at)
     select i.uid, i.conference_uid, customer.uid, i.name, i.email, i.notes, i.custom1, i.custom2, i.role, i.pin, i.ani,
       i.created_at
     from input i join claim on claim.person_uid = i.uid, customer
     order by i.ord
     returning *),${keyInsert}
   counter as (
     insert into event_counters (customer_uid, last_sequence)
     select customer.uid, count(*) from person, customer group by customer.uid
     on conflict (customer_uid) do update set last_sequence = event_counters.last_sequence + excluded.last_sequence
     returning customer_uid, last_sequence),
   appended as (
     insert into events (customer_uid, sequence, id, type, occurred_at, data)
     select counter.customer_uid, counter.last_sequence - (select count(*) from person) + row_number() over (order by i.ord),
       i.event_id, i.event_type, i.occurred_at, i.data
     from counter, person p join input i on i.uid = p.uid
     returning sequence)
   select person.* from person`;
}

/** The group statement of insertPersonGroup (exported for bench/pg-statements.ts). */
export const insertPersonsIfUnchangedQuery = prepared('insert_persons_if_conferences_unchanged', groupInsertSql(false));

/** The same with Idempotency-Key claims carried by some of the group (groupInsertSql). */
export const insertPersonsClaimingKeysQuery = prepared('insert_persons_claiming_keys', groupInsertSql(true));

/** The conference a guarded insert applies to: the row version a read without lock saw. */
export interface ConferenceGuard {
  conferenceUid: string;
  customerUid: string;
  /** From findConferenceVersioned. */
  version: string;
  did: string;
}

/**
 * PostgreSQL: a whole registration as ONE named statement in autocommit — the
 * conference share-locked only if its row is still the version the caller
 * judged, `person.pin` claimed on `guard.did`, the person inserted and
 * `events` appended with the customer's next sequence numbers (as
 * appendEvents numbers them) — so one round trip, committed (durably) before
 * it answers. The share lock makes a concurrent cancel wait for this commit
 * (or, when the cancel came first, the version no longer matches). Undefined,
 * with nothing written, when the conference changed since it was read or the
 * PIN is held: the caller then runs its transaction with the PIN rules.
 *
 * Registrations with one event (addPerson's) are group-committed: those of
 * one customer that arrive while its previous group is in flight (or in the
 * same event-loop turn) go as one statement over arrays, one COMMIT and one
 * WAL flush for all, the customer's event counter bumped once (see
 * personInsertGroups). Each is still all-or-nothing: a registration whose
 * conference changed or whose PIN is held writes nothing and answers
 * undefined while the others of its group commit.
 */
export async function insertPersonIfConferenceUnchanged(
  db: Kysely<Database>,
  guard: ConferenceGuard,
  person: NewPerson & { pin: string },
  events: readonly { id: string; type: string; occurred_at: number; data: string }[],
  key?: KeyInWrite,
): Promise<PersonRow | undefined> {
  const pool = postgresPoolOf(db);
  if (pool && events.length === 1) {
    const item: GroupedRegistration = { guard, person, event: events[0]!, key };
    const owner = registrationOwners.get(pool);
    return owner ? owner(guard.customerUid, item) : personInsertGroupsOf(pool).add(guard.customerUid, item);
  }
  // A key's claim rides only on a group statement: without one, nothing is written and the caller claims it alone.
  if (key) return undefined;
  const rows = isPostgres(db)
    ? fastAll<PersonRow>(db, insertPersonIfUnchangedQuery, [
        guard.conferenceUid,
        guard.customerUid,
        guard.version,
        guard.did,
        person.pin,
        person.uid,
        person.customer_uid,
        person.name ?? '',
        person.email ?? '',
        person.notes ?? '',
        person.custom1 ?? '',
        person.custom2 ?? '',
        person.role,
        person.ani ?? '',
        person.created_at,
        events.length,
        events.map((e) => e.id),
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.occurred_at),
        events.map((e) => e.data),
      ])
    : undefined;
  if (!rows) throw new Error('insertPersonIfConferenceUnchanged: PostgreSQL store only');
  return (await rows)[0];
}

/** An Idempotency-Key's claim a registration carries: its row, done, with this answer. */
export interface KeyInWrite {
  claim: IdempotencyClaim;
  stored: StoredAnswer;
}

/**
 * One registration of a group statement: plain data (strings, numbers,
 * null), so it can travel to the process that owns the customer's groups
 * (registration-owner.ts) as it is.
 */
export interface GroupedRegistration {
  guard: ConferenceGuard;
  person: NewPerson & { pin: string };
  event: { id: string; type: string; occurred_at: number; data: string };
  key: KeyInWrite | undefined;
}

/** Commits one registration in its customer's next group statement: its row, or undefined if it wrote nothing. */
export type RegistrationWriter = (customer: string, item: GroupedRegistration) => Promise<PersonRow | undefined>;

/** Pools whose registrations' group statements run in another process (see writeRegistrationsThrough). */
const registrationOwners = new WeakMap<pg.Pool, RegistrationWriter>();

/**
 * PostgreSQL: the registrations `db` would group go to `owner` instead (a
 * cluster worker's links, which send each customer's to the one worker that
 * groups every worker's registrations of that customer, one statement at a
 * time), so two processes' groups of one customer no longer take its event
 * counter row in turn. Everything else of the call (the read, the domain's
 * judgement, the fallback transaction, the answer) stays where it was.
 * No effect on SQLite.
 */
export function writeRegistrationsThrough(db: Kysely<Database>, owner: RegistrationWriter): void {
  const pool = postgresPoolOf(db);
  if (pool) registrationOwners.set(pool, owner);
}

/**
 * This process's own group commit of `db`'s registrations (PostgreSQL;
 * undefined on SQLite): what the owner of a customer's registrations runs,
 * its own and those other processes send it.
 */
export function registrationGroupsOn(db: Kysely<Database>): RegistrationWriter | undefined {
  const pool = postgresPoolOf(db);
  if (!pool) return undefined;
  const groups = personInsertGroupsOf(pool);
  return (customer, item) => groups.add(customer, item);
}

/** The most registrations one statement carries (bounds its parameters and how long it holds its locks). */
export const maxPersonInsertGroup = 64;

/**
 * Group commit for PostgreSQL registrations, per process and per customer
 * (see KeyedGroups). One group of a customer in flight at a time is no
 * loss: the customer's event counter row is locked from a group's statement
 * to its COMMIT, so a second statement of the same customer could only wait
 * on that lock inside the server.
 */
const personInsertGroups = new WeakMap<pg.Pool, KeyedGroups<GroupedRegistration, PersonRow | undefined>>();

function personInsertGroupsOf(pool: pg.Pool): KeyedGroups<GroupedRegistration, PersonRow | undefined> {
  let groups = personInsertGroups.get(pool);
  if (!groups) {
    groups = new KeyedGroups((customer, items) => insertPersonGroup(pool, customer, items), maxPersonInsertGroup);
    personInsertGroups.set(pool, groups);
  }
  return groups;
}

/** One group statement: each registration's row, or undefined for one that wrote nothing. */
async function insertPersonGroup(
  pool: pg.Pool,
  customer: string,
  group: readonly GroupedRegistration[],
): Promise<(PersonRow | undefined)[]> {
  // A key twice in one group: the first carries it; the others are not sent (they write nothing and claim it
  // alone, so they find the first's row), as two claims in a row would.
  const keyed = group.some((i) => i.key !== undefined);
  const sent = keyed ? withoutRepeatedKeys(group) : group;
  const column = <T>(pick: (item: GroupedRegistration) => T) => sent.map(pick);
  const query = keyed ? insertPersonsClaimingKeysQuery : insertPersonsIfUnchangedQuery;
  let rows: PersonRow[];
  try {
    const result = await pool.query<PersonRow>({
      name: query.name,
      text: query.postgres,
      values: [
        column((i) => i.guard.conferenceUid),
        column((i) => i.guard.version),
        column((i) => i.guard.did),
        column((i) => i.person.pin),
        column((i) => i.person.uid),
        column((i) => i.person.name ?? ''),
        column((i) => i.person.email ?? ''),
        column((i) => i.person.notes ?? ''),
        column((i) => i.person.custom1 ?? ''),
        column((i) => i.person.custom2 ?? ''),
        column((i) => i.person.role),
        column((i) => i.person.ani ?? ''),
        column((i) => i.person.created_at),
        column((i) => i.event.id),
        column((i) => i.event.type),
        column((i) => i.event.occurred_at),
        column((i) => i.event.data),
        ...(keyed
          ? [
              column((i) => i.key?.claim.key ?? null),
              column((i) => i.key?.claim.requestHash ?? null),
              column((i) => i.key?.claim.lockedUntil ?? null),
              column((i) => i.key?.claim.now ?? null),
              column((i) => i.key?.claim.expiresAt ?? null),
              column((i) => i.key?.stored.code ?? null),
              column((i) => i.key?.stored.message ?? null),
              column((i) => i.key?.stored.value ?? null),
            ]
          : []),
        customer,
      ],
    });
    rows = result.rows;
  } catch (error) {
    // The server refused the statement, so it rolled back as a whole and
    // wrote nothing: each registration runs its own transaction instead
    // (undefined), where one that fails fails alone. Any other failure (the
    // connection lost) leaves the outcome unknown: it is each caller's.
    if (error instanceof pg.DatabaseError) return group.map(() => undefined);
    throw error;
  }
  const byUid = new Map(rows.map((r) => [r.uid, r]));
  return group.map((i) => byUid.get(i.person.uid));
}

/** The group without the registrations whose key an earlier one of the group carries. */
function withoutRepeatedKeys(group: readonly GroupedRegistration[]): readonly GroupedRegistration[] {
  const seen = new Set<string>();
  return group.filter((item) => {
    if (!item.key) return true;
    if (seen.has(item.key.claim.key)) return false;
    seen.add(item.key.claim.key);
    return true;
  });
}

/** Who holds `pin` on `did`, with what their conference needs to judge if it is still live. */
export async function findPinHolder(db: Kysely<Database>, did: string, pin: string) {
  type Holder = Pick<Selectable<Database['pin_claims']>, 'person_uid' | 'conference_uid'> &
    Pick<
      Selectable<Database['conferences']>,
      'customer_uid' | 'reserved' | 'canceled_at' | 'active_call_uid' | 'last_end'
    >;
  const rows = groupAll<Holder>(db, pinHolderQuery, [did, pin]);
  if (rows) return rows[0];
  return db
    .selectFrom('pin_claims')
    .innerJoin('conferences', 'conferences.uid', 'pin_claims.conference_uid')
    .select([
      'pin_claims.person_uid',
      'pin_claims.conference_uid',
      'conferences.customer_uid',
      'conferences.reserved',
      'conferences.canceled_at',
      'conferences.active_call_uid',
      'conferences.last_end',
    ])
    .where('pin_claims.did', '=', did)
    .where('pin_claims.pin', '=', pin)
    .executeTakeFirst();
}

/** Moves a claim from a holder whose conference is over to a new person (compare-and-swap). */
export async function takeOverPin(
  db: Kysely<Database>,
  claim: { did: string; pin: string; person_uid: string; conference_uid: string },
  fromPersonUid: string,
): Promise<boolean> {
  const changed = groupRun(db, takeOverPinQuery, [
    claim.person_uid,
    claim.conference_uid,
    claim.did,
    claim.pin,
    fromPersonUid,
  ]);
  if (changed !== undefined) return changed === 1;
  const result = await db
    .updateTable('pin_claims')
    .set({ person_uid: claim.person_uid, conference_uid: claim.conference_uid })
    .where('did', '=', claim.did)
    .where('pin', '=', claim.pin)
    .where('person_uid', '=', fromPersonUid)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Returns a conference's PINs to the pool (on cancel). Its claims are found
 * through its persons (a claim always belongs to a person of its
 * conference; migration 013 dropped the index by conference).
 */
export async function releaseConferencePins(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<void> {
  await releaseConferencePinsQuery(db, customerUid, conferenceUid).execute();
}

/** The statement of releaseConferencePins (the query-plan test reads its plan). */
export function releaseConferencePinsQuery(db: Kysely<Database>, customerUid: string, conferenceUid: string) {
  return db
    .deleteFrom('pin_claims')
    .where('conference_uid', '=', conferenceUid)
    .where('person_uid', 'in', (eb) =>
      eb
        .selectFrom('persons')
        .select('persons.uid')
        .where('persons.conference_uid', '=', conferenceUid)
        .where('persons.customer_uid', '=', customerUid),
    );
}

/**
 * The persons of a conference whose PIN claim is gone: another conference took
 * the PIN over while this one was closed.
 */
export async function listPersonsWithoutPinClaim(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<PersonRow[]> {
  return db
    .selectFrom('persons')
    .selectAll()
    .where('conference_uid', '=', conferenceUid)
    .where('customer_uid', '=', customerUid)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('pin_claims').select('pin').whereRef('pin_claims.person_uid', '=', 'persons.uid'))),
    )
    .orderBy('created_at')
    .orderBy('uid')
    .execute();
}
