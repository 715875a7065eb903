/**
 * PostgreSQL's group commit of registrations (insertPersonIfConferenceUnchanged
 * and findConferenceVersioned, grouped per customer): what travels together
 * commits together, a member that no longer holds writes nothing while the
 * others commit, and event numbers stay gap-free and in commit order across
 * processes. PostgreSQL only: SQLite's write group is the executor's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestServer, createConference, type TestServer } from '../../test/harness.js';
import type { CallContext } from '../context.js';
import { cancelConference } from '../domain/conferences.js';
import { authenticate, hashKey } from '../domain/customers.js';
import { addPerson } from '../domain/persons.js';
import { findConferenceVersioned, lockConference } from './conference.repository.js';
import { inTransaction, openStore, type Store } from './database.js';
import { readRequest } from './request-read.repository.js';
import { lastEventSequence, listEvents } from './event.repository.js';
import {
  findPerson,
  findPinHolder,
  insertPersonIfConferenceUnchanged,
  maxPersonInsertGroup,
} from './person.repository.js';

const onPostgres = Boolean(process.env.BATON_TEST_PG_URL);

describe.runIf(onPostgres)('registrations grouped per customer on PostgreSQL', () => {
  let server: TestServer;
  let ctx: CallContext;
  let customer: string;
  let did: string;
  let conferences: string[];
  let serial = 0;

  beforeAll(async () => {
    server = await startTestServer();
    customer = server.credentials.customer;
    ctx = {
      services: server.services,
      customer: await authenticate(server.services, customer, server.credentials.key),
    };
    conferences = [await createConference(server), await createConference(server), await createConference(server)];
    did = (await findConferenceVersioned(server.services.store.db, customer, conferences[0]!))!.row.did;
  });
  afterAll(async () => {
    await server?.close();
  });

  const db = () => server.services.store.db;
  const guardOf = async (conference: string, store: Store = server.services.store) => {
    const found = await findConferenceVersioned(store.db, customer, conference);
    return { conferenceUid: conference, customerUid: customer, version: found!.version, did: found!.row.did };
  };
  const personOf = (conference: string, pin: string) => {
    const uid = `GROUPED${String(++serial).padStart(9, '0')}`;
    return {
      uid,
      conference_uid: conference,
      customer_uid: customer,
      name: `Ada ${serial}`,
      email: '',
      notes: 'é ✓',
      custom1: '',
      custom2: '',
      role: 'PARTICIPANT',
      pin,
      ani: '',
      created_at: 1_800_000_000_000 + serial,
    };
  };
  const eventOf = (uid: string) => ({
    id: `evt_${uid}`,
    type: 'person.registered',
    occurred_at: 7,
    data: JSON.stringify({ person: uid }),
  });
  // PINs never drawn before in this file: a test that expects every registration to write must not draw
  // one already held (the group statement rightly writes nothing for it).
  const drawnPins = new Set<string>();
  const pinOf = (): string => {
    const pin = String(100_000 + Math.floor(Math.random() * 900_000));
    if (drawnPins.has(pin)) return pinOf();
    drawnPins.add(pin);
    return pin;
  };
  /** The transaction each person's row was written by (PostgreSQL's xmin). */
  const writersOf = async (uids: readonly string[]) => {
    const { rows } = await sql<{
      writer: string;
    }>`select xmin::text as writer from persons where uid = any(${uids})`.execute(db());
    return new Set(rows.map((r) => r.writer));
  };

  it('reads the conferences of one turn in one statement, each request its own answer and objects', async () => {
    const [a, b, again, missing, foreign] = await Promise.all([
      findConferenceVersioned(db(), customer, conferences[0]!),
      findConferenceVersioned(db(), customer, conferences[1]!),
      findConferenceVersioned(db(), customer, conferences[0]!),
      findConferenceVersioned(db(), customer, 'NOSUCHCONFERENCE'),
      findConferenceVersioned(db(), 'SOMEONEELSE00001', conferences[0]!),
    ]);
    expect(a!.row.uid).toBe(conferences[0]);
    expect(b!.row.uid).toBe(conferences[1]);
    expect(again).toStrictEqual(a);
    expect(again!.row).not.toBe(a!.row);
    expect(again!.reservations).not.toBe(a!.reservations);
    expect(missing).toBeUndefined();
    expect(foreign).toBeUndefined();
    expect(Object.keys(a!.row)).not.toContain('baton_version');
  });

  it("takes the conference and its version from the request's read; a conference canceled or changed after that read is judged again", async () => {
    const keyHash = hashKey(server.credentials.key);
    const readAhead = async (conference: string) =>
      (await readRequest(db(), {
        customerUid: customer,
        keyHash,
        view: { kind: 'versionedConference', uid: conference },
      }))!.readAhead!;
    const conference = await createConference(server);
    const read = await readAhead(conference);
    // The read-ahead is what the grouped read gives, and it is used: nothing is read again for it…
    expect(await findConferenceVersioned(db(), customer, conference, read)).toStrictEqual(
      await findConferenceVersioned(db(), customer, conference),
    );
    const none = { ...read, text: 'null' };
    expect(await findConferenceVersioned(db(), customer, conference, none)).toBeUndefined();
    // …but only for its own customer and conference.
    expect((await findConferenceVersioned(db(), customer, conferences[0]!, none))!.row.uid).toBe(conferences[0]);
    expect(await findConferenceVersioned(db(), 'SOMEONEELSE00001', conference, read)).toBeUndefined();
    const withRead = { ...ctx, readAhead: read };

    // Changed since the read (a lock bumps the row's version): the write finds another version, writes
    // nothing, and the transaction judges the conference again and registers the person once.
    await inTransaction(db(), (trx) => lockConference(trx, customer, conference));
    const before = await lastEventSequence(db(), customer);
    const added = await addPerson(withRead, { conference, role: 'PARTICIPANT', name: 'After a change' });
    expect(await findPerson(db(), customer, added.person.uid)).toStrictEqual(added.person);
    expect((await findPinHolder(db(), did, added.person.pin))!.person_uid).toBe(added.person.uid);
    expect((await listEvents(db(), customer, before, 10)).map((e) => e.sequence)).toEqual([before + 1]);

    // Canceled since the read: refused as canceled, and nothing is written.
    const stale = await readAhead(conference);
    expect(JSON.parse(stale.text)[0].canceled_at).toBeNull();
    await cancelConference(ctx, conference);
    const persons = await db().selectFrom('persons').select('uid').where('conference_uid', '=', conference).execute();
    const sequence = await lastEventSequence(db(), customer);
    await expect(
      addPerson({ ...ctx, readAhead: stale }, { conference, role: 'PARTICIPANT', name: 'Too late' }),
    ).rejects.toThrow(`conference ${conference} is canceled`);
    expect(await db().selectFrom('persons').select('uid').where('conference_uid', '=', conference).execute()).toEqual(
      persons,
    );
    expect(await lastEventSequence(db(), customer)).toBe(sequence);
  });

  it("carries idempotency keys' claims in the group statement: each key done with its answer in the group's one transaction", async () => {
    const guard = await guardOf(conferences[1]!);
    const now = 1_800_000_000_000;
    const keyOf = (key: string, value: string) => ({
      claim: {
        customerUid: customer,
        key,
        requestHash: `hash-${key}`,
        now,
        lockedUntil: now + 60_000,
        expiresAt: now + 86_400_000,
      },
      stored: { code: 0, message: '', value },
    });
    // A key with a row already (committed before the statement): its registration writes nothing.
    await sql`insert into idempotency_keys (customer_uid, key, request_hash, state, code, message, value, locked_until, created_at, expires_at)
      values (${customer}, 'g-taken', 'other', 'pending', null, '', null, ${now}, ${now}, ${now + 86_400_000})`.execute(
      db(),
    );
    const members = [
      { person: personOf(conferences[1]!, pinOf()), key: keyOf('g-1', '"one"') },
      { person: personOf(conferences[1]!, pinOf()), key: undefined },
      { person: personOf(conferences[1]!, pinOf()), key: keyOf('g-2', '"two"') },
      { person: personOf(conferences[1]!, pinOf()), key: keyOf('g-1', '"again"') },
      { person: personOf(conferences[1]!, pinOf()), key: keyOf('g-taken', '"taken"') },
    ];
    const before = await lastEventSequence(db(), customer);
    const rows = await Promise.all(
      members.map((m) => insertPersonIfConferenceUnchanged(db(), guard, m.person, [eventOf(m.person.uid)], m.key)),
    );
    expect(rows.map((r) => r?.uid)).toEqual([
      members[0]!.person.uid,
      members[1]!.person.uid,
      members[2]!.person.uid,
      undefined,
      undefined,
    ]);
    const { rows: keys } = await sql<{
      key: string;
      state: string;
      value: string | null;
      request_hash: string;
      writer: string;
    }>`
      select key, state, value, request_hash, xmin::text as writer from idempotency_keys
      where customer_uid = ${customer} and key like 'g-%' order by key`.execute(db());
    const writers = await writersOf(rows.filter((r) => r).map((r) => r!.uid));
    expect(writers.size).toBe(1);
    const [writer] = writers;
    expect(keys).toEqual([
      { key: 'g-1', state: 'done', value: '"one"', request_hash: 'hash-g-1', writer },
      { key: 'g-2', state: 'done', value: '"two"', request_hash: 'hash-g-2', writer },
      {
        key: 'g-taken',
        state: 'pending',
        value: null,
        request_hash: 'other',
        writer: expect.not.stringMatching(`^${writer}$`),
      },
    ]);
    // Gap-free: one event a registration that wrote.
    expect((await listEvents(db(), customer, before, 10)).map((e) => e.sequence)).toEqual([
      before + 1,
      before + 2,
      before + 3,
    ]);
  });

  it('answers the other reads of a group when the server refuses one (each read alone)', async () => {
    // PostgreSQL refuses a NUL in text (the API refuses it sooner).
    const settled = await Promise.allSettled([
      findConferenceVersioned(db(), customer, conferences[0]!),
      findConferenceVersioned(db(), customer, 'BAD\u0000UID'),
      findConferenceVersioned(db(), customer, conferences[1]!),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const [a, , b] = settled as PromiseFulfilledResult<Awaited<ReturnType<typeof findConferenceVersioned>>>[];
    expect(a!.value!.row.uid).toBe(conferences[0]);
    expect(b!.value!.row.uid).toBe(conferences[1]);
  });

  it('commits the registrations of one turn as one transaction, each with its row, PIN and next event number', async () => {
    const before = await lastEventSequence(db(), customer);
    const guards = await Promise.all(conferences.slice(0, 2).map((c) => guardOf(c)));
    const items = Array.from({ length: 12 }, (_, i) => {
      const guard = guards[i % 2]!;
      return { guard, person: personOf(guard.conferenceUid, pinOf()) };
    });
    const rows = await Promise.all(
      items.map(({ guard, person }) => insertPersonIfConferenceUnchanged(db(), guard, person, [eventOf(person.uid)])),
    );
    for (const [i, row] of rows.entries()) {
      expect(row).toMatchObject(items[i]!.person);
      expect(await findPerson(db(), customer, row!.uid)).toStrictEqual(row);
      expect((await findPinHolder(db(), did, row!.pin))!.person_uid).toBe(row!.uid);
    }
    expect((await writersOf(rows.map((r) => r!.uid))).size).toBe(1);
    const events = await listEvents(db(), customer, before, 100);
    expect(events.map((e) => [e.sequence, e.id])).toEqual(
      items.map(({ person }, i) => [before + 1 + i, `evt_${person.uid}`]),
    );
    // Registration order is the order they arrived in.
    expect(rows.map((r) => r!.id)).toEqual([...rows.map((r) => r!.id)].sort((x, y) => x - y));
  });

  it('writes nothing for a member whose conference changed or whose PIN is held; the others of its group commit', async () => {
    const taken = pinOf();
    const [held] = await Promise.all([
      insertPersonIfConferenceUnchanged(db(), await guardOf(conferences[0]!), personOf(conferences[0]!, taken), [
        eventOf('HELDPIN'),
      ]),
    ]);
    expect(held).toBeDefined();
    const stale = await guardOf(conferences[2]!);
    await inTransaction(db(), (trx) => lockConference(trx, customer, conferences[2]!));
    const fresh = await guardOf(conferences[0]!);
    const twice = pinOf();
    const members = [
      { guard: fresh, person: personOf(conferences[0]!, twice) }, // wins the PIN drawn twice
      { guard: stale, person: personOf(conferences[2]!, pinOf()) }, // its conference changed since it was read
      { guard: fresh, person: personOf(conferences[0]!, twice) }, // the same PIN, second in the group
      { guard: fresh, person: personOf(conferences[0]!, taken) }, // a PIN someone holds
      { guard: { ...fresh, customerUid: customer }, person: personOf(conferences[0]!, pinOf()) },
    ];
    const before = await lastEventSequence(db(), customer);
    const rows = await Promise.all(
      members.map(({ guard, person }) => insertPersonIfConferenceUnchanged(db(), guard, person, [eventOf(person.uid)])),
    );
    expect(rows.map((r) => r !== undefined)).toEqual([true, false, false, false, true]);
    for (const i of [1, 2, 3]) {
      const { uid } = members[i]!.person;
      expect(await findPerson(db(), customer, uid)).toBeUndefined();
      const claims = await db().selectFrom('pin_claims').select('pin').where('person_uid', '=', uid).execute();
      expect(claims).toEqual([]);
    }
    expect((await findPinHolder(db(), did, twice))!.person_uid).toBe(members[0]!.person.uid);
    expect((await findPinHolder(db(), did, taken))!.person_uid).toBe(held!.uid);
    const events = await listEvents(db(), customer, before, 100);
    expect(events.map((e) => [e.sequence, e.id])).toEqual([
      [before + 1, `evt_${members[0]!.person.uid}`],
      [before + 2, `evt_${members[4]!.person.uid}`],
    ]);
  });

  it('carries at most maxPersonInsertGroup registrations a statement, and commits a larger burst whole', async () => {
    const guard = await guardOf(conferences[1]!);
    const burst = Array.from({ length: maxPersonInsertGroup + 6 }, () => personOf(conferences[1]!, pinOf()));
    const before = await lastEventSequence(db(), customer);
    const rows = await Promise.all(
      burst.map((person) => insertPersonIfConferenceUnchanged(db(), guard, person, [eventOf(person.uid)])),
    );
    const written = rows.filter((r) => r !== undefined);
    // A random PIN drawn twice in the burst writes nothing for its second drawer (the domain then draws again).
    expect(written.length).toBeGreaterThan(burst.length - 3);
    expect((await writersOf(written.map((r) => r.uid))).size).toBe(2);
    expect(await lastEventSequence(db(), customer)).toBe(before + written.length);
  });

  it('answers a refused group by running each registration alone: a failing one fails and writes nothing, the others commit', async () => {
    const before = await lastEventSequence(db(), customer);
    const conference = conferences[1]!;
    // PostgreSQL refuses a NUL in text (the API refuses it sooner: here the domain is called directly).
    const names = ['Grace', 'Alan', 'bad\u0000name', 'Edsger', 'Barbara'];
    const settled = await Promise.allSettled(
      names.map((name) => addPerson(ctx, { conference, role: 'PARTICIPANT', name })),
    );
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const added = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.person] : []));
    for (const person of added) expect(await findPerson(db(), customer, person.uid)).toStrictEqual(person);
    const persons = await db()
      .selectFrom('persons')
      .select('name')
      .where('conference_uid', '=', conference)
      .where('name', 'like', 'bad%')
      .execute();
    expect(persons).toEqual([]);
    const events = await listEvents(db(), customer, before, 100);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4].map((i) => before + i));
    expect(events.map((e) => (JSON.parse(e.data) as { person: { name: string } }).person.name).sort()).toEqual([
      'Alan',
      'Barbara',
      'Edsger',
      'Grace',
    ]);
  });

  it('numbers the events of two processes racing, gap-free and in commit order', async () => {
    // A second store is a second pool with its own groups, as another process has.
    const other = openStore(server.database.url, { poolMax: 4 });
    try {
      const stores = [server.services.store, other];
      const start = await lastEventSequence(db(), customer);
      let seen = start;
      let racing = true;
      const gaps: string[] = [];
      // A reader that follows the log as a webhook worker does: a number committed after a higher one shows as a gap.
      const follower = (async () => {
        while (racing || seen < (await lastEventSequence(db(), customer))) {
          const page = await listEvents(other.db, customer, seen, 1000);
          page.forEach((e, i) => {
            if (e.sequence !== seen + 1 + i) gaps.push(`${seen + 1 + i} missing before ${e.sequence}`);
          });
          if (page.length > 0) seen = page[page.length - 1]!.sequence;
        }
      })();
      const uids: string[] = [];
      for (let wave = 0; wave < 8; wave++) {
        const guards = await Promise.all(stores.map((s) => guardOf(conferences[wave % 2]!, s)));
        const rows = await Promise.all(
          Array.from({ length: 30 }, (_, i) => {
            const person = personOf(conferences[wave % 2]!, pinOf());
            return insertPersonIfConferenceUnchanged(stores[i % 2]!.db, guards[i % 2]!, person, [eventOf(person.uid)]);
          }),
        );
        uids.push(...rows.flatMap((r) => (r ? [r.uid] : [])));
      }
      racing = false;
      await follower;
      expect(gaps).toEqual([]);
      const events = await listEvents(db(), customer, start, 1000);
      expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => start + 1 + i));
      expect(events.map((e) => e.id).sort()).toEqual(uids.map((u) => `evt_${u}`).sort());
    } finally {
      await other.close();
    }
  });
});
