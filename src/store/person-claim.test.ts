/**
 * addPerson's combined writes (one statement each on PostgreSQL): the PIN
 * claim with the person's insert, the event counter with the events, and the
 * share-locked conference read with its reservations. Both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import {
  findConferenceFactsForShare,
  findConferenceForShareWithReservations,
  findConferenceVersioned,
  insertConference,
  lockConference,
} from './conference.repository.js';
import { insertCustomer } from './customer.repository.js';
import { inTransaction, migrate, openStore, type Store } from './database.js';
import { appendEvents, lastEventSequence, listEvents } from './event.repository.js';
import {
  findPerson,
  findPinHolder,
  insertPersonClaimingPin,
  insertPersonIfConferenceUnchanged,
  releaseConferencePins,
} from './person.repository.js';
import { insertReservations, listReservations } from './reservation.repository.js';

const onPostgres = Boolean(process.env.BATON_TEST_PG_URL);

describe('addPerson writes in as few statements as the database allows', () => {
  let database: TestDatabase;
  let store: Store;
  const customer = 'CLAIMCUSTOMER001';
  const person = (uid: string, pin: string) => ({
    uid,
    conference_uid: 'CLAIMCONFERENCE1',
    customer_uid: customer,
    name: 'Zoë "Z" \\ O\'Neil',
    email: 'z@example.com',
    notes: '',
    custom1: '🎉',
    custom2: '',
    role: 'PARTICIPANT',
    pin,
    ani: '',
    created_at: Date.UTC(2031, 0, 1),
  });
  /** A live conference of the test's customer on its DID. */
  const conferenceRow = (uid: string, name: string, reserved: 0 | 1) => ({
    uid,
    customer_uid: customer,
    name,
    did: '+15550002222',
    reserved,
    canceled_at: null,
    active_call_uid: null,
    last_end: null,
    recording: 0,
    greenroom: 0,
    background_music: 0,
    reminder: 1,
    security_token: 't',
    settings: '[]',
    created_at: 0,
  });
  beforeAll(async () => {
    database = await createTestDatabase();
    store = openStore(database.url, { poolMax: 4 });
    await migrate(store);
    await insertCustomer(store.db, {
      uid: customer,
      name: 'Claims',
      status: 'ACTIVE',
      did: '+15550002222',
      time_zone: 'America/St_Johns',
      recording: 0,
      greenroom: 0,
      background_music: 0,
      reminder: 1,
      place_call: 0,
      created_at: 0,
    });
    await insertConference(store.db, conferenceRow('CLAIMCONFERENCE1', 'Claims', 1));
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it('claims a free PIN and inserts the person with it; a held PIN writes nothing', async () => {
    const claim = { did: '+15550002222', pin: '424242' };
    const inserted = await inTransaction(store.db, async (trx) =>
      insertPersonClaimingPin(trx, claim, person('CLAIMPERSON00001', '424242')),
    );
    const stored = await findPerson(store.db, customer, 'CLAIMPERSON00001');
    expect(inserted).toStrictEqual(stored);
    // The row as stored, columns in the table's order (SQLite builds it from what it inserted).
    expect(Object.keys(inserted!)).toStrictEqual(Object.keys(stored!));
    expect(inserted).toMatchObject({
      pin: '424242',
      name: 'Zoë "Z" \\ O\'Neil',
      custom1: '🎉',
      created_at: Date.UTC(2031, 0, 1),
    });
    expect(typeof inserted!.id).toBe('number');
    const refused = await inTransaction(store.db, async (trx) =>
      insertPersonClaimingPin(trx, claim, person('CLAIMPERSON00002', '424242')),
    );
    expect(refused).toBeUndefined();
    expect(await findPerson(store.db, customer, 'CLAIMPERSON00002')).toBeUndefined();
  });

  it('numbers several events appended at once after the last one, in order', async () => {
    const event = (id: string) => ({
      id,
      type: 'person.updated',
      occurred_at: Date.UTC(2031, 0, 2),
      data: '{"a":"\\u0000 ✓"}',
    });
    const first = await inTransaction(store.db, async (trx) => appendEvents(trx, customer, [event('evt_A')]));
    const rows = await inTransaction(store.db, async (trx) =>
      appendEvents(trx, customer, [event('evt_B'), event('evt_C')]),
    );
    expect(first.map((r) => r.sequence)).toStrictEqual([1]);
    expect(rows).toStrictEqual([
      { customer_uid: customer, sequence: 2, ...event('evt_B') },
      { customer_uid: customer, sequence: 3, ...event('evt_C') },
    ]);
    expect((await listEvents(store.db, customer, 0, 10)).map((r) => [r.sequence, r.id, r.data])).toStrictEqual([
      [1, 'evt_A', event('').data],
      [2, 'evt_B', event('').data],
      [3, 'evt_C', event('').data],
    ]);
  });

  it('reads the conference for share with its reservations, as listReservations gives them', async () => {
    await insertReservations(store.db, [
      {
        uid: 'CLAIMRESERVATIO2',
        conference_uid: 'CLAIMCONFERENCE1',
        customer_uid: customer,
        start_at: 2_000_000_000_000,
        end_at: 2_000_003_600_000,
        duration: 60,
        estimated_callers: null,
        created_at: 1,
      },
      {
        uid: 'CLAIMRESERVATIO1',
        conference_uid: 'CLAIMCONFERENCE1',
        customer_uid: customer,
        start_at: 1_900_000_000_000,
        end_at: 1_900_000_900_000,
        duration: 15,
        estimated_callers: 7,
        created_at: 1,
      },
    ]);
    const found = await inTransaction(store.db, async (trx) =>
      findConferenceForShareWithReservations(trx, store.dialect, customer, 'CLAIMCONFERENCE1'),
    );
    expect(found!.row.uid).toBe('CLAIMCONFERENCE1');
    expect(Object.keys(found!.row)).not.toContain('baton_reservations');
    expect(found!.reservations).toStrictEqual(await listReservations(store.db, customer, 'CLAIMCONFERENCE1'));
    expect(found!.reservations.map((r) => r.uid)).toStrictEqual(['CLAIMRESERVATIO1', 'CLAIMRESERVATIO2']);
    const none = await inTransaction(store.db, async (trx) =>
      findConferenceForShareWithReservations(trx, store.dialect, 'SOMEONEELSE00001', 'CLAIMCONFERENCE1'),
    );
    expect(none).toBeUndefined();
  });
  it('reads the facts addPerson judges a conference by, as the full read gives them', async () => {
    const [full, facts] = await inTransaction(store.db, async (trx) => [
      await findConferenceForShareWithReservations(trx, store.dialect, customer, 'CLAIMCONFERENCE1'),
      await findConferenceFactsForShare(trx, store.dialect, customer, 'CLAIMCONFERENCE1'),
    ]);
    const { uid, did, reserved, canceled_at, active_call_uid, last_end } = full!.row;
    expect(facts!.row).toMatchObject({ uid, did, reserved, canceled_at, active_call_uid, last_end });
    const times = (slots: readonly { start_at: number | null; end_at: number | null }[]) =>
      slots.map((r) => [r.start_at, r.end_at]).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(times(facts!.reservations)).toStrictEqual(times(full!.reservations));
    expect(facts!.reservations.length).toBeGreaterThan(0);
    const none = await inTransaction(store.db, async (trx) => [
      await findConferenceFactsForShare(trx, store.dialect, 'SOMEONEELSE00001', 'CLAIMCONFERENCE1'),
      await findConferenceFactsForShare(trx, store.dialect, customer, 'NOSUCHCONFERENCE'),
    ]);
    expect(none).toStrictEqual([undefined, undefined]);
  });

  it("releases a conference's PINs through its persons, and no other conference's", async () => {
    await insertConference(store.db, conferenceRow('CLAIMCONFERENCE2', 'Claims 2', 0));
    const claim = (pin: string) => ({ did: '+15550002222', pin });
    await inTransaction(store.db, async (trx) => {
      await insertPersonClaimingPin(trx, claim('515151'), person('CLAIMPERSON00010', '515151'));
      await insertPersonClaimingPin(trx, claim('525252'), person('CLAIMPERSON00011', '525252'));
      await insertPersonClaimingPin(trx, claim('535353'), {
        ...person('CLAIMPERSON00012', '535353'),
        conference_uid: 'CLAIMCONFERENCE2',
      });
    });
    // Another customer's call names the conference: nothing of it is released.
    await inTransaction(store.db, (trx) => releaseConferencePins(trx, 'SOMEONEELSE00001', 'CLAIMCONFERENCE1'));
    expect(await findPinHolder(store.db, '+15550002222', '515151')).toMatchObject({ person_uid: 'CLAIMPERSON00010' });
    await inTransaction(store.db, (trx) => releaseConferencePins(trx, customer, 'CLAIMCONFERENCE1'));
    expect(await findPinHolder(store.db, '+15550002222', '515151')).toBeUndefined();
    expect(await findPinHolder(store.db, '+15550002222', '525252')).toBeUndefined();
    expect(await findPinHolder(store.db, '+15550002222', '424242')).toBeUndefined();
    expect(await findPinHolder(store.db, '+15550002222', '535353')).toMatchObject({
      person_uid: 'CLAIMPERSON00012',
      conference_uid: 'CLAIMCONFERENCE2',
    });
  });

  describe('one guarded statement (PostgreSQL): the conference as read, the PIN, the person and its event', () => {
    const did = '+15550002222';
    const guardOf = async () => {
      const found = await findConferenceVersioned(store.db, customer, 'CLAIMCONFERENCE1');
      return { conferenceUid: 'CLAIMCONFERENCE1', customerUid: customer, version: found!.version, did };
    };
    const eventOf = (id: string) => ({ id, type: 'person.registered', occurred_at: 7, data: `{"person":"${id}"}` });

    it.runIf(onPostgres)(
      'reads the conference with its reservations and its row version, outside a transaction',
      async () => {
        const found = await findConferenceVersioned(store.db, customer, 'CLAIMCONFERENCE1');
        expect(found!.row).toStrictEqual(
          (await inTransaction(store.db, async (trx) =>
            findConferenceForShareWithReservations(trx, store.dialect, customer, 'CLAIMCONFERENCE1'),
          ))!.row,
        );
        expect(found!.reservations).toStrictEqual(await listReservations(store.db, customer, 'CLAIMCONFERENCE1'));
        expect(found!.version).toMatch(/^[0-9]+$/);
        expect(await findConferenceVersioned(store.db, 'SOMEONEELSE00001', 'CLAIMCONFERENCE1')).toBeUndefined();
        // Any update of the row, the lock bump of every status change included, is a new version.
        await inTransaction(store.db, (trx) => lockConference(trx, customer, 'CLAIMCONFERENCE1'));
        const after = await findConferenceVersioned(store.db, customer, 'CLAIMCONFERENCE1');
        expect(after!.version).not.toBe(found!.version);
      },
    );

    it.runIf(onPostgres)(
      'claims the PIN, inserts the person and appends the event numbered next, committed',
      async () => {
        const before = await lastEventSequence(store.db, customer);
        const row = await insertPersonIfConferenceUnchanged(
          store.db,
          await guardOf(),
          person('GUARDEDPERSON001', '700001'),
          [eventOf('evt_G1')],
        );
        expect(row).toMatchObject({ ...person('GUARDEDPERSON001', '700001') });
        expect(await findPerson(store.db, customer, 'GUARDEDPERSON001')).toStrictEqual(row);
        expect(await findPinHolder(store.db, did, '700001')).toMatchObject({
          person_uid: 'GUARDEDPERSON001',
          conference_uid: 'CLAIMCONFERENCE1',
        });
        expect(await lastEventSequence(store.db, customer)).toBe(before + 1);
        const [event] = await listEvents(store.db, customer, before, 10);
        expect(event).toStrictEqual({ customer_uid: customer, sequence: before + 1, ...eventOf('evt_G1') });
      },
    );

    it.runIf(onPostgres)('writes nothing when the conference row changed since it was read', async () => {
      const stale = await guardOf();
      await inTransaction(store.db, (trx) => lockConference(trx, customer, 'CLAIMCONFERENCE1'));
      const before = await lastEventSequence(store.db, customer);
      const row = await insertPersonIfConferenceUnchanged(store.db, stale, person('GUARDEDPERSON002', '700002'), [
        eventOf('evt_G2'),
      ]);
      expect(row).toBeUndefined();
      expect(await findPerson(store.db, customer, 'GUARDEDPERSON002')).toBeUndefined();
      expect(await findPinHolder(store.db, did, '700002')).toBeUndefined();
      expect(await lastEventSequence(store.db, customer)).toBe(before);
      // Another customer's UID with the same version is no match either.
      const foreign = { ...(await guardOf()), customerUid: 'SOMEONEELSE00001' };
      expect(
        await insertPersonIfConferenceUnchanged(store.db, foreign, person('GUARDEDPERSON002', '700002'), []),
      ).toBeUndefined();
      expect(await findPinHolder(store.db, did, '700002')).toBeUndefined();
    });

    it.runIf(onPostgres)('writes nothing when someone holds the PIN', async () => {
      const before = await lastEventSequence(store.db, customer);
      const row = await insertPersonIfConferenceUnchanged(
        store.db,
        await guardOf(),
        person('GUARDEDPERSON003', '700001'),
        [eventOf('evt_G3')],
      );
      expect(row).toBeUndefined();
      expect(await findPerson(store.db, customer, 'GUARDEDPERSON003')).toBeUndefined();
      expect((await findPinHolder(store.db, did, '700001'))!.person_uid).toBe('GUARDEDPERSON001');
      expect(await lastEventSequence(store.db, customer)).toBe(before);
    });

    it.runIf(!onPostgres)('is PostgreSQL only: SQLite has no versioned read and refuses the write', async () => {
      expect(await findConferenceVersioned(store.db, customer, 'CLAIMCONFERENCE1')).toBeNull();
      const guard = { conferenceUid: 'CLAIMCONFERENCE1', customerUid: customer, version: '1', did };
      await expect(
        insertPersonIfConferenceUnchanged(store.db, guard, person('GUARDEDPERSON004', '700004'), []),
      ).rejects.toThrow(/PostgreSQL store only/);
      expect(await findPerson(store.db, customer, 'GUARDEDPERSON004')).toBeUndefined();
    });
  });
});
