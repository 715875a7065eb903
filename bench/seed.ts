/**
 * Seeds a fresh SQLite database for the benchmark, straight through SQL in one
 * transaction (100,000 conferences take a few seconds). The schema comes from
 * Baton's own migrations, so the server opens the file as it would any other.
 *
 * The measured customer always has the same answer to getUpcomingConference
 * (`upcoming` SCHED conferences) however large the database is: the rest are
 * its expired, canceled and reservationless conferences and other customers'
 * conferences of every status. So the 1,000 / 100,000 rows compare how cost
 * grows with the database, not with the size of the answer.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import { hashKey } from '../src/domain/customers.js';
import { defaultRoleFlags } from '../src/domain/role-flags.js';
import { migrate, openStore } from '../src/store/database.js';

export interface SeedOptions {
  /** Conferences in the whole database. */
  conferences: number;
  /** SCHED conferences of the measured customer (the getUpcomingConference answer). */
  upcoming: number;
  /** Persons of the getConferenceData conference. */
  dataPersons: number;
  /** Persons of the getConference conference. */
  smallPersons: number;
  now: number;
}

/** What the benchmark calls the server with. */
export interface Seeded {
  customer: string;
  key: string;
  /** A conference with `smallPersons` persons and one future reservation (getConference). */
  smallConference: string;
  /** A conference with `dataPersons` persons, some with custom values (getConferenceData). */
  dataConference: string;
  /** A reservationless conference that takes new persons (addPerson). */
  openConference: string;
  conferences: number;
}

const hour = 3_600_000;
const day = 24 * hour;
const otherCustomers = 9;

/** A deterministic 16-character UID of [A-Z0-9]: a letter for the kind, then a base-36 counter. */
function makeUid(kind: string, n: number): string {
  return kind + n.toString(36).toUpperCase().padStart(15, '0');
}

/** Creates `file`'s schema: this tree's migrations, or another build's (see `seedDatabase`). */
export type Migrator = (file: string) => Promise<void>;

const ownMigrations: Migrator = async (file) => {
  const store = openStore(file);
  await migrate(store);
  await store.close();
};

/**
 * A migrator from another build's `dist` (e.g. `--before`): a build older than
 * this tree cannot serve a schema that later migrations changed under it (017
 * turned SQLite's `event_counters` into a view), so its seed is made with its
 * own migrations. The same data goes in either way: the seed is deterministic.
 */
export async function migratorOf(dist: string): Promise<Migrator> {
  const database = (await import(pathToFileURL(join(dist, 'src', 'store', 'database.js')).href)) as {
    openStore: typeof openStore;
    migrate: typeof migrate;
  };
  return async (file) => {
    const store = database.openStore(file);
    await database.migrate(store);
    await store.close();
  };
}

/** Migrates and fills `file`; returns the credentials and UIDs the rows use. */
export async function seedDatabase(
  file: string,
  options: SeedOptions,
  migrator: Migrator = ownMigrations,
): Promise<Seeded> {
  await migrator(file);

  const db = new SqliteDatabase(file);
  // A throwaway file: no durability needed while filling it.
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const { now } = options;
  const settings = JSON.stringify(defaultRoleFlags());
  const key = '0123456789abcdef0123456789abcdef';
  const customerUid = makeUid('U', 1);

  const insertCustomer = db.prepare(
    `insert into customers (uid, name, status, did, time_zone, recording, greenroom, background_music,
       reminder, place_call, contact_emails, created_at)
     values (?, ?, 'ACTIVE', ?, 'America/New_York', 0, 0, 0, 1, 0, 'owner@example.com', ?)`,
  );
  const insertKey = db.prepare(
    'insert into api_keys (customer_uid, key_hash, key_prefix, created_at) values (?, ?, ?, ?)',
  );
  const insertConference = db.prepare(
    `insert into conferences (uid, customer_uid, name, did, reserved, canceled_at, active_call_uid, last_end,
       recording, greenroom, background_music, reminder, contact_email, security_token, settings, created_at)
     values (?, ?, ?, ?, ?, ?, null, ?, 0, 0, 0, 1, 'owner@example.com', ?, ?, ?)`,
  );
  const insertReservation = db.prepare(
    `insert into reservations (uid, conference_uid, customer_uid, start_at, end_at, duration, estimated_callers,
       created_at) values (?, ?, ?, ?, ?, ?, 25, ?)`,
  );
  const insertPerson = db.prepare(
    `insert into persons (uid, conference_uid, customer_uid, name, email, notes, role, pin, created_at)
     values (?, ?, ?, ?, ?, '', ?, ?, ?)`,
  );
  const insertClaim = db.prepare('insert into pin_claims (did, pin, person_uid, conference_uid) values (?, ?, ?, ?)');
  const insertCustom = db.prepare(
    `insert into custom_values (customer_uid, object_type, object_uid, key, value) values (?, ?, ?, ?, ?)`,
  );

  let conferenceCount = 0;
  let reservationCount = 0;
  let personCount = 0;
  type Kind = 'upcoming' | 'possible' | 'expired' | 'canceled' | 'reservationless';

  /** One conference of `kind` with one reservation; returns its UID. */
  function conference(owner: string, did: string, kind: Kind): string {
    const uid = makeUid('C', ++conferenceCount);
    const n = conferenceCount;
    let start: number | null;
    if (kind === 'upcoming') start = now + day + (n % 5000) * 60_000;
    else if (kind === 'possible') start = now - 10 * 60_000;
    else if (kind === 'expired') start = now - 30 * day + (n % 5000) * 60_000;
    else if (kind === 'canceled') start = now + 2 * day;
    else start = null;
    const end = start === null ? null : kind === 'possible' ? now + 6 * hour : start + hour;
    const reserved = kind === 'reservationless' ? 0 : 1;
    const canceledAt = kind === 'canceled' ? now - day : null;
    const created = now - 60 * day;
    insertConference.run(
      uid,
      owner,
      `Conference ${n}`,
      did,
      reserved,
      canceledAt,
      end,
      `${n}`.padStart(32, '0'),
      settings,
      created,
    );
    insertReservation.run(
      makeUid('R', ++reservationCount),
      uid,
      owner,
      start,
      end,
      start === null ? null : 60,
      created,
    );
    return uid;
  }

  /** `count` persons on `conferenceUid`; every tenth has two custom values. */
  function persons(owner: string, did: string, conferenceUid: string, count: number): void {
    for (let i = 0; i < count; i++) {
      const uid = makeUid('P', ++personCount);
      const pin = String(100000 + personCount);
      const role = i === 0 ? 'PRESENTER' : 'PARTICIPANT';
      insertPerson.run(uid, conferenceUid, owner, `Person ${i}`, `person${i}@example.com`, role, pin, now - day + i);
      insertClaim.run(did, pin, uid, conferenceUid);
      if (i % 10 === 0) {
        insertCustom.run(owner, 'person', uid, 'company', `Company ${i}`);
        insertCustom.run(owner, 'person', uid, 'team', `Team ${i % 7}`);
      }
    }
  }

  const seeded = db.transaction((): Seeded => {
    const did = '+1 555 0100';
    insertCustomer.run(customerUid, 'Bench customer', did, now - 90 * day);
    insertKey.run(customerUid, hashKey(key), key.slice(0, 4), now - 90 * day);
    const others = Array.from({ length: otherCustomers }, (_, i) => {
      const uid = makeUid('U', i + 2);
      const otherDid = `+1 555 02${String(i).padStart(2, '0')}`;
      insertCustomer.run(uid, `Other customer ${i}`, otherDid, now - 90 * day);
      insertKey.run(uid, hashKey(`${key.slice(0, 30)}${String(i).padStart(2, '0')}`), key.slice(0, 4), now);
      return { uid, did: otherDid };
    });

    // The measured customer's fixed part: what the rows call, and a constant upcoming answer.
    const smallConference = conference(customerUid, did, 'upcoming');
    persons(customerUid, did, smallConference, options.smallPersons);
    const dataConference = conference(customerUid, did, 'upcoming');
    persons(customerUid, did, dataConference, options.dataPersons);
    insertCustom.run(customerUid, 'conference', dataConference, 'project', 'Benchmark');
    insertCustom.run(customerUid, 'customer', customerUid, 'plan', 'Enterprise');
    const openConference = conference(customerUid, '+1 555 0199', 'reservationless');
    for (let i = 2; i < options.upcoming; i++) conference(customerUid, did, 'upcoming');
    for (let i = 0; i < 10; i++) conference(customerUid, did, 'possible');

    // The rest grows with the database: 40% the measured customer's conferences
    // that are not upcoming, 60% other customers' conferences of every status.
    const ownKinds: Kind[] = ['expired', 'expired', 'expired', 'canceled', 'reservationless'];
    const otherKinds: Kind[] = ['upcoming', 'expired', 'expired', 'canceled', 'possible', 'reservationless'];
    const rest = options.conferences - conferenceCount;
    let own = 0;
    let foreign = 0;
    for (let i = 0; i < rest; i++) {
      if (i % 5 < 2) {
        conference(customerUid, did, ownKinds[own++ % ownKinds.length]!);
      } else {
        const other = others[foreign % otherCustomers]!;
        conference(other.uid, other.did, otherKinds[foreign++ % otherKinds.length]!);
      }
    }
    return {
      customer: customerUid,
      key,
      smallConference,
      dataConference,
      openConference,
      conferences: conferenceCount,
    };
  })();
  // No ANALYZE: the server sees the statistics a production file has (none).
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return seeded;
}

/**
 * The mixed row's conferences: 100 of the measured customer's that take new
 * persons (not canceled, not closed), and never `openConference`, the
 * addPerson rows' conference: that one holds every person those rows added
 * (hundreds of thousands in a full run), so reading it would measure the size
 * of one answer, and differently for a faster build, which adds more.
 */
export function mixedConferencesOf(file: string, seeded: Pick<Seeded, 'customer' | 'openConference'>): string[] {
  const db = new SqliteDatabase(file, { readonly: true });
  try {
    return db
      .prepare(
        `select uid from conferences where customer_uid = ? and uid <> ? and canceled_at is null
         and (reserved = 0 or last_end > ?) order by uid limit 100`,
      )
      .pluck()
      .all(seeded.customer, seeded.openConference, Date.now()) as string[];
  } finally {
    db.close();
  }
}
