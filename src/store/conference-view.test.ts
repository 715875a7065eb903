/**
 * The one-statement reads of a conference with its children (PostgreSQL) give
 * exactly the rows the separate statements give; on SQLite the same checks
 * hold for its composed reads. Runs on both databases (`npm test`, `npm run test:pg`).
 */
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { insertCall } from './call.repository.js';
import {
  findConferenceChildren,
  findConferenceDataChildren,
  type ConferenceDataChildren,
  type ViewRequest,
} from './conference-view.repository.js';
import { readRequest, requestReadCounts, type RequestReadInput } from './request-read.repository.js';
import { hitThrottle } from './throttle.repository.js';
import { findConferenceVersioned, insertConference } from './conference.repository.js';
import { setCustomValue } from './custom-value.repository.js';
import { findCredentials, findCustomer, insertApiKey, insertCustomer, revokeApiKeys } from './customer.repository.js';
import { inTransaction, migrate, openStore, type Store } from './database.js';
import { insertPerson } from './person.repository.js';
import { insertReservations } from './reservation.repository.js';
import type { Database } from './schema.js';

// Text that JSON, SQL and XML each treat specially, and characters outside the BMP.
const odd = 'O\'Brien "quoted" \\ back/slash\n\ttab <&> é 漢字 🎉 \u2028 $1 ?';

describe('conference with its children in one read', () => {
  let database: TestDatabase;
  let store: Store;
  const customer = 'VIEWCUSTOMER0001';
  const other = 'VIEWCUSTOMER0002';
  // Instants beyond 2^32 ms and before 1970, in a conference whose customer is not on UTC.
  const start = Date.UTC(2031, 6, 14, 23, 45);
  beforeAll(async () => {
    database = await createTestDatabase();
    store = openStore(database.url, { poolMax: 4 });
    await migrate(store);
    for (const [uid, zone] of [
      [customer, 'Pacific/Chatham'],
      [other, 'UTC'],
    ] as const) {
      await insertCustomer(store.db, {
        uid,
        name: `Customer ${uid}`,
        status: 'ACTIVE',
        did: '+15550001111',
        time_zone: zone,
        recording: 1,
        greenroom: 0,
        background_music: 1,
        reminder: 1,
        place_call: 0,
        created_at: Date.UTC(2026, 0, 1),
      });
    }
    await conference(store.db, 'VIEWCONFERENCE01', customer, { notes: odd, last_end: start + 90 * 60_000 });
    await conference(store.db, 'VIEWCONFERENCE02', customer, { canceled_at: Date.UTC(1969, 11, 31, 23, 59) });
    await conference(store.db, 'VIEWCONFERENCE03', other, {});
    await insertReservations(store.db, [
      reservation('VIEWRESERVATIO02', start + 24 * 3600_000, 30, null),
      reservation('VIEWRESERVATIO01', start, 90, 12),
      reservation('VIEWRESERVATIO03', null, null, 3),
    ]);
    // Registration order differs from UID order, so the order is checked.
    for (const [i, uid] of ['VIEWPERSON00003', 'VIEWPERSON00001', 'VIEWPERSON00002'].entries()) {
      await insertPerson(store.db, {
        uid,
        conference_uid: 'VIEWCONFERENCE01',
        customer_uid: customer,
        name: i === 0 ? odd : `Person ${i}`,
        email: i === 1 ? '' : `p${i}@example.com`,
        notes: '',
        custom1: odd,
        custom2: '',
        role: i === 0 ? 'HOST' : 'PARTICIPANT',
        pin: `12345${i}`,
        ani: '',
        created_at: start - i,
      });
    }
    await insertPerson(store.db, {
      uid: 'VIEWPERSONOTHER',
      conference_uid: 'VIEWCONFERENCE03',
      customer_uid: other,
      role: 'PARTICIPANT',
      pin: '999999',
      created_at: 0,
    });
    // Two calls started at the same instant: ordered by UID after the time.
    for (const [uid, at] of [
      ['VIEWCALL0000003', start],
      ['VIEWCALL0000002', start + 1],
      ['VIEWCALL0000001', start + 1],
    ] as const) {
      await insertCall(store.db, {
        uid,
        conference_uid: 'VIEWCONFERENCE01',
        customer_uid: customer,
        status: 'CLOSED',
        started_at: at,
        ended_at: at + 60_000,
        settings: '[]',
        talking: 0,
        greenroom: 0,
        background_music: 0,
      });
    }
    const set = (type: 'customer' | 'conference' | 'person', uid: string, key: string, value: string) =>
      setCustomValue(store.db, customer, type, uid, { key, value });
    await set('conference', 'VIEWCONFERENCE01', 'zeta', odd);
    await set('conference', 'VIEWCONFERENCE01', 'alpha', '');
    await set('person', 'VIEWPERSON00001', 'b', odd);
    await set('person', 'VIEWPERSON00001', 'a', '1');
    await set('person', 'VIEWPERSON00002', 'c', '{"json":true}');
    await set('customer', customer, 'tier', odd);
    await setCustomValue(store.db, other, 'person', 'VIEWPERSONOTHER', { key: 'x', value: 'y' });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  /** The same reads as separate statements: inside a transaction the store never uses its one-statement form. */
  const separately = <T>(read: (db: Kysely<Database>) => Promise<T>) => inTransaction(store.db, read);

  it('getConference: the row, reservations, person and call UIDs and custom values, as the separate statements give them', async () => {
    const view = await findConferenceChildren(store.db, customer, 'VIEWCONFERENCE01');
    expect(view).toStrictEqual(await separately((db) => findConferenceChildren(db, customer, 'VIEWCONFERENCE01')));
    expect(view!.row.uid).toBe('VIEWCONFERENCE01');
    expect(view!.row.notes).toBe(odd);
    expect(view!.row.last_end).toBe(start + 90 * 60_000);
    expect(view!.row.canceled_at).toBeNull();
    expect(view!.row.recording).toBe(1);
    expect(Object.keys(view!.row)).not.toContain('baton_reservations');
    // Earliest first; a reservation without times sorts as each database sorts NULL (SQLite first, PostgreSQL last).
    const timed = [
      ['VIEWRESERVATIO01', start, 90, 12],
      ['VIEWRESERVATIO02', start + 24 * 3600_000, 30, null],
    ];
    const untimed = ['VIEWRESERVATIO03', null, null, 3];
    expect(view!.reservations.map((r) => [r.uid, r.start_at, r.duration, r.estimated_callers])).toStrictEqual(
      store.dialect === 'postgres' ? [...timed, untimed] : [untimed, ...timed],
    );
    expect(view!.personUids).toStrictEqual(['VIEWPERSON00003', 'VIEWPERSON00001', 'VIEWPERSON00002']);
    expect(view!.callUids).toStrictEqual(['VIEWCALL0000003', 'VIEWCALL0000001', 'VIEWCALL0000002']);
    expect(view!.custom).toStrictEqual([
      { key: 'alpha', value: '' },
      { key: 'zeta', value: odd },
    ]);
  });

  it('getConferenceData: full persons with their custom values, and the customer custom values', async () => {
    const view = await findConferenceDataChildren(store.db, customer, 'VIEWCONFERENCE01');
    expect(view).toStrictEqual(await separately((db) => findConferenceDataChildren(db, customer, 'VIEWCONFERENCE01')));
    expect(view!.persons.map((p) => [p.uid, p.name, p.custom1, typeof p.id, p.created_at])).toStrictEqual([
      ['VIEWPERSON00003', odd, odd, 'number', start],
      ['VIEWPERSON00001', 'Person 1', odd, 'number', start - 1],
      ['VIEWPERSON00002', 'Person 2', odd, 'number', start - 2],
    ]);
    expect(view!.personUids).toStrictEqual(['VIEWPERSON00003', 'VIEWPERSON00001', 'VIEWPERSON00002']);
    expect([...view!.personCustom]).toStrictEqual([
      [
        'VIEWPERSON00001',
        [
          { key: 'a', value: '1' },
          { key: 'b', value: odd },
        ],
      ],
      ['VIEWPERSON00002', [{ key: 'c', value: '{"json":true}' }]],
    ]);
    expect(view!.customerCustom).toStrictEqual([{ key: 'tier', value: odd }]);
    expect(view!.reservations).toHaveLength(3);
  });

  it('a conference with no reservations, persons, calls or custom values; an instant before 1970', async () => {
    const view = await findConferenceDataChildren(store.db, customer, 'VIEWCONFERENCE02');
    expect(view).toStrictEqual(await separately((db) => findConferenceDataChildren(db, customer, 'VIEWCONFERENCE02')));
    expect(view!.row.canceled_at).toBe(Date.UTC(1969, 11, 31, 23, 59));
    expect(view!.row.last_end).toBeNull();
    expect(view!.reservations).toStrictEqual([]);
    expect(view!.persons).toStrictEqual([]);
    expect(view!.personCustom.size).toBe(0);
    expect(view!.callUids).toStrictEqual([]);
    expect(view!.custom).toStrictEqual([]);
    const short = await findConferenceChildren(store.db, customer, 'VIEWCONFERENCE02');
    expect(short).toStrictEqual(await separately((db) => findConferenceChildren(db, customer, 'VIEWCONFERENCE02')));
    expect(short!.personUids).toStrictEqual([]);
  });

  it('another customer’s conference, or an unknown one, is not found', async () => {
    expect(await findConferenceChildren(store.db, customer, 'VIEWCONFERENCE03')).toBeUndefined();
    expect(await findConferenceDataChildren(store.db, customer, 'VIEWCONFERENCE03')).toBeUndefined();
    expect(await findConferenceChildren(store.db, other, 'VIEWCONFERENCE01')).toBeUndefined();
    expect(await findConferenceChildren(store.db, customer, 'NOSUCHCONFERENCE')).toBeUndefined();
    const theirs = await findConferenceDataChildren(store.db, other, 'VIEWCONFERENCE03');
    expect(theirs!.persons.map((p) => p.uid)).toStrictEqual(['VIEWPERSONOTHER']);
    expect(theirs!.customerCustom).toStrictEqual([]);
  });

  it('credentials: the live key hashes (revoked ones left out), with the row where the store reads it', async () => {
    await insertApiKey(store.db, { customer_uid: customer, key_hash: 'a1', key_prefix: 'a1', created_at: 0 });
    await insertApiKey(store.db, { customer_uid: customer, key_hash: 'b2', key_prefix: 'b2', created_at: 1 });
    await revokeApiKeys(store.db, customer, { keyHash: 'a1' }, 5);
    const found = await findCredentials(store.db, customer);
    expect(found.keyHashes).toStrictEqual(['b2']);
    if (store.dialect === 'postgres') expect(found.customer).toStrictEqual(await findCustomer(store.db, customer));
    else expect(found.customer).toBeUndefined();
    expect(await findCredentials(store.db, other)).toStrictEqual({
      keyHashes: [],
      customer: store.dialect === 'postgres' ? await findCustomer(store.db, other) : undefined,
    });
    expect(await findCredentials(store.db, 'NOSUCHCUSTOMER01')).toStrictEqual({ keyHashes: [], customer: undefined });
  });

  it('the request read (PostgreSQL): credentials, throttle window and the view in one statement, the view only for a live key', async () => {
    await insertApiKey(store.db, { customer_uid: customer, key_hash: 'c3', key_prefix: 'c3', created_at: 2 });
    await insertApiKey(store.db, { customer_uid: customer, key_hash: 'd4', key_prefix: 'd4', created_at: 3 });
    const read = (keyHash: string, view?: ViewRequest, who = customer) =>
      readRequest(store.db, { customerUid: who, keyHash, throttle: { scope: 'auth', key: '192.0.2.7' }, view });
    if (store.dialect !== 'postgres') {
      expect(await read('c3', { kind: 'conference', uid: 'VIEWCONFERENCE01' })).toBeUndefined();
      return;
    }
    // A live key's first read brings the view; revoked, the statement itself reads no view for it.
    expect((await read('c3', { kind: 'conference', uid: 'VIEWCONFERENCE01' }))!.readAhead).toBeDefined();
    expect((await read('d4', { kind: 'conference', uid: 'VIEWCONFERENCE01' }))!.readAhead).toBeDefined();
    await revokeApiKeys(store.db, customer, { keyHash: 'd4' }, 6);
    const revoked = (await read('d4', { kind: 'conference', uid: 'VIEWCONFERENCE01' }))!;
    expect(revoked.readAhead).toBeUndefined();
    expect(revoked.keyHashes).not.toContain('d4');
    await hitThrottle(store.db, 'auth', '192.0.2.7', 1_000, 60_000);
    await hitThrottle(store.db, 'auth', '192.0.2.7', 2_000, 60_000);
    for (const kind of ['conference', 'conferenceData'] as const) {
      for (const uid of ['VIEWCONFERENCE01', 'VIEWCONFERENCE02', 'VIEWCONFERENCE03', 'NOSUCHCONFERENCE']) {
        const found = (await read('c3', { kind, uid }))!;
        expect(found.customer).toStrictEqual(await findCustomer(store.db, customer));
        expect(found.keyHashes).toContain('c3');
        expect(found.keyHashes).not.toContain('d4');
        expect(found.throttle).toStrictEqual({ windowStart: 1_000, hits: 2 });
        expect(found.readAhead).toMatchObject({ kind, uid, customerUid: customer });
        // Decoded, it is exactly what the separate statements give (another customer's: not found).
        const find = kind === 'conference' ? findConferenceChildren : findConferenceDataChildren;
        const decoded = await find(store.db, customer, uid, found.readAhead);
        expect(decoded).toStrictEqual(await separately((db) => find(db, customer, uid)));
        if (uid === 'VIEWCONFERENCE01') expect(decoded).toBeDefined();
        // A read-ahead of another conference, kind or customer is not used.
        expect(await find(store.db, customer, 'VIEWCONFERENCE02', found.readAhead)).toStrictEqual(
          await find(store.db, customer, 'VIEWCONFERENCE02'),
        );
      }
    }
    // A revoked or unknown key's hash reads no view; an unknown customer still answers the window.
    for (const hash of ['d4', 'ffff']) {
      expect((await read(hash, { kind: 'conference', uid: 'VIEWCONFERENCE01' }))!.readAhead).toBeUndefined();
    }
    const unknown = (await read('c3', { kind: 'conference', uid: 'VIEWCONFERENCE01' }, 'NOSUCHCUSTOMER01'))!;
    expect(unknown).toStrictEqual({
      keyHashes: [],
      customer: undefined,
      throttle: { windowStart: 1_000, hits: 2 },
      readAhead: undefined,
    });
    const plain = (await read('c3'))!;
    expect(plain.readAhead).toBeUndefined();
    expect(plain.customer?.uid).toBe(customer);
    const unthrottled = await readRequest(store.db, { customerUid: customer, keyHash: 'c3' });
    expect(unthrottled!.throttle).toBeUndefined();
  });

  it('the request read (PostgreSQL): the requests of one turn share one statement, each answered as alone, a revoked key beside a live one', async () => {
    if (store.dialect !== 'postgres') return;
    await insertApiKey(store.db, { customer_uid: customer, key_hash: 'f6', key_prefix: 'f6', created_at: 5 });
    await insertApiKey(store.db, { customer_uid: customer, key_hash: 'g7', key_prefix: 'g7', created_at: 6 });
    await insertApiKey(store.db, { customer_uid: other, key_hash: 'h8', key_prefix: 'h8', created_at: 7 });
    await revokeApiKeys(store.db, customer, { keyHash: 'g7' }, 8);
    await hitThrottle(store.db, 'auth', '192.0.2.9', 3_000, 60_000);
    const throttle = { scope: 'auth', key: '192.0.2.9' };
    const inputs: RequestReadInput[] = [
      { customerUid: customer, keyHash: 'f6', throttle, view: { kind: 'conference', uid: 'VIEWCONFERENCE01' } },
      { customerUid: customer, keyHash: 'g7', throttle, view: { kind: 'conference', uid: 'VIEWCONFERENCE01' } },
      { customerUid: customer, keyHash: 'f6', view: { kind: 'conferenceData', uid: 'VIEWCONFERENCE01' } },
      { customerUid: customer, keyHash: 'f6', view: { kind: 'conference', uid: 'VIEWCONFERENCE03' } },
      { customerUid: 'NOSUCHCUSTOMER01', keyHash: 'f6', throttle },
      { customerUid: other, keyHash: 'f6', view: { kind: 'conference', uid: 'VIEWCONFERENCE03' } },
      { customerUid: other, keyHash: 'h8', throttle: { scope: 'auth', key: '192.0.2.10' } },
    ];
    const before = requestReadCounts(store.db);
    const together = await Promise.all(inputs.map((input) => readRequest(store.db, input)));
    const after = requestReadCounts(store.db);
    expect(after).toStrictEqual({
      statements: before.statements + 1,
      requests: before.requests + inputs.length,
      rows: before.rows + inputs.length,
    });
    const alone = [];
    for (const input of inputs) alone.push(await readRequest(store.db, input));
    expect(requestReadCounts(store.db).statements).toBe(after.statements + inputs.length);
    expect(together).toStrictEqual(alone);
    // Requests that arrive while a batch is out gather for the next one, sent when it returns.
    const first = readRequest(store.db, inputs[0]!);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [readRequest(store.db, inputs[1]!), readRequest(store.db, inputs[2]!)];
    const sent = requestReadCounts(store.db).statements;
    expect(await Promise.all([first, ...later])).toStrictEqual(alone.slice(0, 3));
    expect(requestReadCounts(store.db).statements).toBe(sent + 1);
    // Equal requests of one batch are one row of its statement, each answered as alone.
    const counted = requestReadCounts(store.db);
    const twice = await Promise.all(
      [inputs[0]!, inputs[1]!, inputs[0]!, inputs[1]!].map((i) => readRequest(store.db, i)),
    );
    expect(requestReadCounts(store.db)).toStrictEqual({
      statements: counted.statements + 1,
      requests: counted.requests + 4,
      rows: counted.rows + 2,
    });
    expect(twice).toStrictEqual([alone[0], alone[1], alone[0], alone[1]]);
    expect(twice[2]!.customer).not.toBe(twice[0]!.customer);

    const [live, revoked, data, othersConference, unknown, wrongCustomer, plain] = together.map((read) => read!);
    expect(live!.readAhead).toMatchObject({ kind: 'conference', uid: 'VIEWCONFERENCE01', customerUid: customer });
    expect(live!.throttle).toStrictEqual({ windowStart: 3_000, hits: 1 });
    expect(live!.keyHashes).toContain('f6');
    expect(revoked!.readAhead).toBeUndefined();
    expect(revoked!.keyHashes).not.toContain('g7');
    expect(revoked!.customer).toStrictEqual(await findCustomer(store.db, customer));
    expect(data!.readAhead).toMatchObject({ kind: 'conferenceData', uid: 'VIEWCONFERENCE01' });
    expect(await findConferenceDataChildren(store.db, customer, 'VIEWCONFERENCE01', data!.readAhead)).toStrictEqual(
      await separately((db) => findConferenceDataChildren(db, customer, 'VIEWCONFERENCE01')),
    );
    // Another customer's conference reads as none, for this customer.
    expect(othersConference!.readAhead?.text).toBe('null');
    expect(unknown).toStrictEqual({
      keyHashes: [],
      customer: undefined,
      throttle: { windowStart: 3_000, hits: 1 },
      readAhead: undefined,
    });
    // A key of one customer is not another's: no view, and the other's hashes only.
    expect(wrongCustomer!.readAhead).toBeUndefined();
    expect(wrongCustomer!.keyHashes).toStrictEqual(['h8']);
    expect(plain!.customer?.uid).toBe(other);
    expect(plain!.throttle).toBeUndefined();
  });

  it("the request read (PostgreSQL): addPerson's conference with its row version, as findConferenceVersioned reads it; none for a revoked key beside a live one", async () => {
    if (store.dialect !== 'postgres') return;
    await insertApiKey(store.db, { customer_uid: customer, key_hash: 'v1', key_prefix: 'v1', created_at: 9 });
    await insertApiKey(store.db, { customer_uid: customer, key_hash: 'v2', key_prefix: 'v2', created_at: 9 });
    await revokeApiKeys(store.db, customer, { keyHash: 'v2' }, 10);
    const uids = ['VIEWCONFERENCE01', 'VIEWCONFERENCE02', 'VIEWCONFERENCE03', 'NOSUCHCONFERENCE'];
    const view = (uid: string): ViewRequest => ({ kind: 'versionedConference', uid });
    const inputs: RequestReadInput[] = [
      ...uids.map((uid) => ({ customerUid: customer, keyHash: 'v1', view: view(uid) })),
      { customerUid: customer, keyHash: 'v2', view: view('VIEWCONFERENCE01') },
      { customerUid: customer, keyHash: 'v1', view: { kind: 'conference', uid: 'VIEWCONFERENCE01' } },
    ];
    const before = requestReadCounts(store.db).statements;
    const reads = await Promise.all(inputs.map((input) => readRequest(store.db, input)));
    expect(requestReadCounts(store.db).statements).toBe(before + 1);
    for (const [i, uid] of uids.entries()) {
      const readAhead = reads[i]!.readAhead;
      expect(readAhead).toMatchObject({ kind: 'versionedConference', uid, customerUid: customer });
      // Decoded, exactly the grouped read's answer (another customer's conference: none).
      const decoded = await findConferenceVersioned(store.db, customer, uid, readAhead);
      expect(decoded).toStrictEqual(await findConferenceVersioned(store.db, customer, uid));
      if (uid === 'VIEWCONFERENCE01') expect(decoded!.reservations).toHaveLength(3);
    }
    // The revoked key's request, in the same statement as the live ones: no view, and its hash is not live.
    expect(reads[4]!.readAhead).toBeUndefined();
    expect(reads[4]!.keyHashes).not.toContain('v2');
    expect(reads[4]!.keyHashes).toContain('v1');
    // getConference's view beside them is its own.
    expect(reads[5]!.readAhead?.kind).toBe('conference');
  });

  it('the request read (PostgreSQL): text PostgreSQL refuses fails only its own request, never its batch', async () => {
    if (store.dialect !== 'postgres') return;
    const view = { kind: 'conference', uid: 'VIEWCONFERENCE01' } as const;
    const settled = await Promise.allSettled([
      readRequest(store.db, { customerUid: customer, keyHash: 'f6', view }),
      readRequest(store.db, { customerUid: 'A\u0000B', keyHash: 'f6', view }),
      readRequest(store.db, { customerUid: customer, keyHash: 'f6', view: { kind: 'conference', uid: 'X\uD800' } }),
      readRequest(store.db, { customerUid: customer, keyHash: 'f6', view }),
    ]);
    expect(settled.map((s) => s.status)).toStrictEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    for (const s of [settled[0], settled[3]]) {
      expect(s.status === 'fulfilled' && s.value?.readAhead?.uid).toBe('VIEWCONFERENCE01');
    }
  });

  it('the request read (PostgreSQL): getConferenceData is sent again only when one of its rows changed, and then exactly', async () => {
    if (store.dialect !== 'postgres') return;
    await insertApiKey(store.db, { customer_uid: customer, key_hash: 'e5', key_prefix: 'e5', created_at: 4 });
    const uid = 'VIEWCONFERENCE01';
    await readRequest(store.db, { customerUid: customer, keyHash: 'e5' });
    const data = async () => {
      const found = await readRequest(store.db, {
        customerUid: customer,
        keyHash: 'e5',
        view: { kind: 'conferenceData', uid },
      });
      const decoded = await findConferenceDataChildren(store.db, customer, uid, found!.readAhead);
      expect(decoded).toStrictEqual(await separately((db) => findConferenceDataChildren(db, customer, uid)));
      return { text: found!.readAhead!.text, decoded: decoded! };
    };
    const first = await data();
    expect((await data()).text).toBe(first.text);
    // A row lock (addPerson's FOR SHARE) changes nothing the answer shows: the same view.
    await inTransaction(store.db, async (trx) => {
      await trx.selectFrom('conferences').select('uid').where('uid', '=', uid).forShare().execute();
    });
    expect((await data()).text).toBe(first.text);
    const changes: Array<[string, () => Promise<unknown>, (view: ConferenceDataChildren) => unknown]> = [
      [
        'a person renamed',
        () => store.db.updateTable('persons').set({ name: 'Renamed' }).where('uid', '=', 'VIEWPERSON00002').execute(),
        (view) => view.persons.find((p) => p.uid === 'VIEWPERSON00002')!.name,
      ],
      [
        "a person's custom value",
        () => setCustomValue(store.db, customer, 'person', 'VIEWPERSON00002', { key: 'c', value: 'changed' }),
        (view) => view.personCustom.get('VIEWPERSON00002'),
      ],
      [
        "the customer's custom value",
        () => setCustomValue(store.db, customer, 'customer', customer, { key: 'tier', value: 'gold' }),
        (view) => view.customerCustom,
      ],
      [
        'a reservation moved',
        () =>
          store.db
            .updateTable('reservations')
            .set({ estimated_callers: 99 })
            .where('uid', '=', 'VIEWRESERVATIO02')
            .execute(),
        (view) => view.reservations.map((r) => r.estimated_callers),
      ],
      [
        'a call ended and its row deleted',
        () => store.db.deleteFrom('calls').where('uid', '=', 'VIEWCALL0000002').execute(),
        (view) => view.callUids,
      ],
      [
        'the conference renamed',
        () => store.db.updateTable('conferences').set({ name: 'Renamed' }).where('uid', '=', uid).execute(),
        (view) => view.row.name,
      ],
    ];
    let previous = first;
    for (const [, change, shown] of changes) {
      await change();
      const next = await data();
      expect(next.text).not.toBe(previous.text);
      expect(shown(next.decoded)).not.toStrictEqual(shown(previous.decoded));
      expect((await data()).text).toBe(next.text);
      previous = next;
    }
  });

  function reservation(uid: string, at: number | null, minutes: number | null, callers: number | null) {
    return {
      uid,
      conference_uid: 'VIEWCONFERENCE01',
      customer_uid: customer,
      start_at: at,
      end_at: at === null || minutes === null ? null : at + minutes * 60_000,
      duration: minutes,
      estimated_callers: callers,
      created_at: Date.UTC(2026, 0, 2),
    };
  }
});

async function conference(
  db: Kysely<Database>,
  uid: string,
  customerUid: string,
  extra: { notes?: string; last_end?: number; canceled_at?: number },
): Promise<void> {
  await insertConference(db, {
    uid,
    customer_uid: customerUid,
    name: `Conference ${uid}`,
    did: '+15550001111',
    reserved: 1,
    canceled_at: extra.canceled_at ?? null,
    active_call_uid: null,
    last_end: extra.last_end ?? null,
    recording: 1,
    greenroom: 0,
    background_music: 0,
    reminder: 1,
    contact_email: '',
    notes: extra.notes ?? '',
    security_token: `token-${uid}`,
    settings: '[]',
    created_at: Date.UTC(2026, 0, 3),
  });
}
