/**
 * Every API function through the SDK, against a real listening server, once
 * with JSON on the wire and once with XML: typed results (checked strictly
 * against the server's result schemas) and an error path with its code each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testEpoch, type TestServer } from '../../../test/harness.js';
import { apiFunctions } from '../../../src/functions/index.js';
import { resultSchemas } from '../../../src/presenters/schemas.js';
import {
  BatonApiError,
  BatonClient,
  functionNames,
  functions,
  type Conference,
  type CustomObjectType,
  type FunctionName,
  type Person,
  type Reservation,
  type ResultOf,
  type Role,
} from './index.js';

const bridgeToken = 'sdk-test-bridge-token-0123456789';
const registry = new Map(apiFunctions.map((fn) => [fn.name, fn]));

describe('the SDK and the server', () => {
  it('name the same functions, with the same kind and result type', () => {
    // A function added to the registry without an SDK method (or the reverse) fails here.
    expect([...registry.keys()].sort()).toEqual([...functionNames].sort());
    for (const fn of apiFunctions) {
      const info = functions[fn.name as FunctionName];
      expect(info, `the SDK has no method for ${fn.name}`).toBeDefined();
      expect(info.kind).toBe(fn.kind);
      expect(info.result).toBe(fn.result);
    }
    const client = new BatonClient({ baseUrl: 'http://127.0.0.1:1', customer: 'C', key: 'K' });
    for (const name of functionNames) expect(typeof client[name]).toBe('function');
  });
});

describe.each(['json', 'xml'] as const)('every function through the SDK, %s on the wire', (format) => {
  let server: TestServer;
  let client: BatonClient;
  let badKey: BatonClient;
  const covered = new Set<string>();
  const errorsCovered = new Set<string>();

  /** Checks a result against the server's schema for that function (strictly: no field more or less). */
  function typed<N extends FunctionName>(name: N, value: ResultOf<N>): ResultOf<N> {
    covered.add(name);
    const fn = registry.get(name)!;
    const parsed = resultSchemas[fn.result as keyof typeof resultSchemas].safeParse(value);
    expect(parsed.error?.issues ?? []).toEqual([]);
    return value;
  }

  /** Expects a BatonApiError with `code` from `name`. */
  async function fails(name: FunctionName, promise: Promise<unknown>, code: number): Promise<BatonApiError> {
    errorsCovered.add(name);
    const error = await promise.then(
      () => expect.fail(`${name} should have failed with code ${code}`),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BatonApiError);
    expect(error).toMatchObject({ functionName: name, code });
    expect((error as BatonApiError).message).not.toBe('');
    return error as BatonApiError;
  }

  let room: Conference;
  let reserved: Conference;
  let person: Person;
  let added: Reservation;

  beforeAll(async () => {
    server = await startTestServer({ config: { bridgeToken } });
    const options = { baseUrl: server.url, format, retry: { attempts: 1 } };
    client = new BatonClient({ ...options, ...server.credentials });
    badKey = new BatonClient({ ...options, customer: server.credentials.customer, key: '0'.repeat(32) });
  });
  afterAll(() => server.close());

  it('getCustomer returns the calling Customer', async () => {
    const customer = typed('getCustomer', await client.getCustomer());
    expect(customer.UID).toBe(server.credentials.customer);
    expect(customer.status).toBe('ACTIVE');
    expect(customer.timeZone).toBe('UTC');
    expect(typeof customer.recording).toBe('boolean');
    expect(customer.custom).toEqual([]);
    await fails('getCustomer', badKey.getCustomer(), -5);
  });

  it('updateCustomer sets a field and returns the Customer', async () => {
    const customer = typed('updateCustomer', await client.updateCustomer({ field: 'greenroom', value: true }));
    expect(customer.greenroom).toBe(true);
    await fails('updateCustomer', client.updateCustomer({ field: 'shoeSize', value: '44' }), -2);
  });

  it('createConferenceReservationless returns an IDLE Conference', async () => {
    room = typed(
      'createConferenceReservationless',
      await client.createConferenceReservationless({ name: 'SDK room', recording: true, estimatedCallers: 5 }),
    );
    expect(room.UID).toMatch(/^[A-Z0-9]{16}$/);
    expect(room).toMatchObject({ name: 'SDK room', status: 'IDLE', reserved: false, recording: true, persons: [] });
    expect(room.setting.map((flag) => flag.role)).toEqual(['PARTICIPANT', 'ASSISTANT', 'PRESENTER', 'OPERATOR']);
    expect(room.scheduledStartTime).toBeNull();
    await fails('createConferenceReservationless', client.createConferenceReservationless({ estimatedCallers: 0 }), -2);
  });

  it('createConferenceReserved expands the reservations and reports skipped items in message', async () => {
    const envelope = await client.callEnvelope('createConferenceReserved', {
      name: 'SDK weekly',
      reservations: [
        { startDate: '2026.02.01 17:00:00', duration: 50, estimatedCallers: 10 },
        { startDate: new Date(Date.UTC(2026, 1, 2, 17, 0, 0)), duration: 60 },
        { startDate: 'not a date', duration: 30 },
      ],
    });
    reserved = typed('createConferenceReserved', envelope.value);
    expect(envelope.code).toBe(0);
    expect(envelope.message).toContain('3');
    expect(reserved).toMatchObject({
      reserved: true,
      status: 'SCHED',
      scheduledStartTime: 'Sun Feb 01 17:00:00 UTC 2026',
    });
    expect(reserved.reservations).toHaveLength(2);
    await fails(
      'createConferenceReserved',
      client.createConferenceReserved({ reservations: [{ startDate: 'soon', duration: 30 }] }),
      1,
    );
  });

  it('getConference returns the Conference with UID lists', async () => {
    const conference = typed('getConference', await client.getConference({ conferenceUID: reserved.UID }));
    expect(conference.UID).toBe(reserved.UID);
    expect(conference.reservations).toEqual(reserved.reservations);
    await fails('getConference', client.getConference({ conferenceUID: 'NOSUCHCONFERENCE' }), -2);
  });

  it('addPerson returns the Person with a 6-digit PIN', async () => {
    person = typed(
      'addPerson',
      await client.addPerson({ conference: room.UID, role: 'PRESENTER', name: 'Ann Lee', email: 'ann@example.org' }),
    );
    expect(person.PIN).toMatch(/^\d{6}$/);
    expect(person).toMatchObject({ conferenceUID: room.UID, role: 'PRESENTER', name: 'Ann Lee', tags: [], custom: [] });
    await fails('addPerson', client.addPerson({ conference: room.UID, role: 'CHAIR' as Role }), -2);
  });

  it('updatePerson sets a field and returns the Person', async () => {
    const updated = typed(
      'updatePerson',
      await client.updatePerson({ person: person.UID, field: 'name', value: 'Ann B. Lee' }),
    );
    expect(updated).toMatchObject({ UID: person.UID, name: 'Ann B. Lee', PIN: person.PIN });
    await fails('updatePerson', client.updatePerson({ person: person.UID, field: 'PIN', value: '123456' }), -2);
  });

  it('getConferenceData returns persons, reservations and the customer in full', async () => {
    const data = typed('getConferenceData', await client.getConferenceData({ conferenceUID: room.UID }));
    expect(data.person.map((p) => [p.UID, p.name])).toEqual([[person.UID, 'Ann B. Lee']]);
    expect(data.persons).toEqual([person.UID]);
    expect(data.customer.UID).toBe(server.credentials.customer);
    expect(Array.isArray(data.reservation)).toBe(true);
    const scheduled = typed('getConferenceData', await client.getConferenceData({ conferenceUID: reserved.UID }));
    expect(scheduled.person).toEqual([]);
    expect(scheduled.reservation.map((r) => r.duration)).toEqual([60, 60]);
    await fails('getConferenceData', client.getConferenceData({ conferenceUID: 'NOSUCHCONFERENCE' }), -2);
  });

  it('addConferenceReservation returns the Reservation, duration rounded up', async () => {
    added = typed(
      'addConferenceReservation',
      await client.addConferenceReservation({
        conference: reserved.UID,
        startDate: '2026.02.03 17:00:00',
        duration: 20,
        estimatedCallers: 5,
      }),
    );
    expect(added).toMatchObject({ conferenceUID: reserved.UID, duration: 30, estimateCaller: 5 });
    expect(added.startTime).toBe('Tue Feb 03 17:00:00 UTC 2026');
    // Code 4: "Cannot add conference reservation to reservationless conference".
    await fails(
      'addConferenceReservation',
      client.addConferenceReservation({ conference: room.UID, startDate: '2026.02.03 17:00:00', duration: 30 }),
      4,
    );
  });

  it('getConferenceReservation returns the Reservation', async () => {
    const reservation = typed(
      'getConferenceReservation',
      await client.getConferenceReservation({ reservationUID: added.UID }),
    );
    expect(reservation).toEqual(added);
    await fails(
      'getConferenceReservation',
      client.getConferenceReservation({ reservationUID: 'NOSUCHRESERVATION' }),
      -2,
    );
  });

  it('updateConferenceReservation returns the changed Reservation', async () => {
    const changed = typed(
      'updateConferenceReservation',
      await client.updateConferenceReservation({ reservationUID: added.UID, duration: 45, estimatedCallers: 8 }),
    );
    expect(changed).toMatchObject({ UID: added.UID, duration: 45, estimateCaller: 8 });
    const roomReservation = (await client.getConference({ conferenceUID: room.UID })).reservations[0]!;
    // Code 4: "Cannot edit start date or duration of reservationless conference".
    await fails(
      'updateConferenceReservation',
      client.updateConferenceReservation({ reservationUID: roomReservation, duration: 30 }),
      4,
    );
  });

  it('removeConferenceReservation removes a future reservation', async () => {
    typed('removeConferenceReservation', await client.removeConferenceReservation({ reservationUID: added.UID }));
    expect((await client.getConference({ conferenceUID: reserved.UID })).reservations).not.toContain(added.UID);
    const roomReservation = (await client.getConference({ conferenceUID: room.UID })).reservations[0]!;
    // Code 1: "Conference is reservationless".
    await fails(
      'removeConferenceReservation',
      client.removeConferenceReservation({ reservationUID: roomReservation }),
      1,
    );
  });

  it('updateCustomValue returns the object’s custom values', async () => {
    const values = typed(
      'updateCustomValue',
      await client.updateCustomValue({
        objectType: 'conference',
        objectUID: room.UID,
        customKey: 'color',
        customValue: 'blue',
      }),
    );
    expect(values).toEqual({
      objectType: 'conference',
      objectUID: room.UID,
      custom: [{ key: 'color', value: 'blue' }],
    });
    expect((await client.getConference({ conferenceUID: room.UID })).custom).toEqual([{ key: 'color', value: 'blue' }]);
    await fails(
      'updateCustomValue',
      client.updateCustomValue({
        objectType: 'planet' as CustomObjectType,
        objectUID: room.UID,
        customKey: 'k',
        customValue: 'v',
      }),
      -2,
    );
  });

  it('updateConference sets a field and returns the Conference', async () => {
    const conference = typed(
      'updateConference',
      await client.updateConference({ conference: room.UID, field: 'notes', value: 'Bring slides' }),
    );
    expect(conference.notes).toBe('Bring slides');
    // Code 2: "Field is not valid".
    await fails(
      'updateConference',
      client.updateConference({ conference: room.UID, field: 'shoeSize', value: '1' }),
      2,
    );
  });

  it('the list functions partition the conferences by status', async () => {
    const uids = (list: { conference: Conference[] }) => list.conference.map((c) => c.UID);
    expect(uids(typed('getPossibleConference', await client.getPossibleConference()))).toContain(room.UID);
    expect(uids(typed('getUpcomingConference', await client.getUpcomingConference()))).toContain(reserved.UID);
    expect(typed('getActiveConference', await client.getActiveConference()).conference).toEqual([]);
    expect(uids(typed('getCanceledConference', await client.getCanceledConference()))).not.toContain(room.UID);
    expect(uids(typed('getExpiredConference', await client.getExpiredConference()))).not.toContain(reserved.UID);
    for (const name of [
      'getActiveConference',
      'getUpcomingConference',
      'getPossibleConference',
      'getExpiredConference',
      'getCanceledConference',
    ] as const) {
      await fails(name, badKey.call(name, {}), -5);
    }
  });

  it('the list functions read page by page with limit and cursor, and listAll reads to the end', async () => {
    for (let i = 0; i < 3; i++) await client.createConferenceReservationless({ name: `Page ${i}` });
    const whole = typed('getPossibleConference', await client.getPossibleConference());
    expect(whole).not.toHaveProperty('nextCursor');
    expect(whole.conference.length).toBeGreaterThanOrEqual(4);
    const first = typed('getPossibleConference', await client.getPossibleConference({ limit: 2 }));
    expect(first.conference.map((c) => c.UID)).toEqual(whole.conference.slice(0, 2).map((c) => c.UID));
    expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const second = await client.getPossibleConference({ limit: 2, cursor: first.nextCursor });
    expect(second.conference.map((c) => c.UID)).toEqual(whole.conference.slice(2, 4).map((c) => c.UID));
    const all: string[] = [];
    for await (const conference of client.listAll('getPossibleConference', { limit: 2 })) all.push(conference.UID);
    expect(all).toEqual(whole.conference.map((c) => c.UID));
    await fails('getPossibleConference', client.getPossibleConference({ cursor: 'not-a-cursor' }), -2);
  });

  it('removePerson returns the removed Person', async () => {
    const removed = typed('removePerson', await client.removePerson({ conference: room.UID, person: person.UID }));
    expect(removed.UID).toBe(person.UID);
    await fails('removePerson', client.removePerson({ conference: room.UID, person: person.UID }), -2);
  });

  it('cancelConference returns the canceled Conference', async () => {
    const canceled = typed('cancelConference', await client.cancelConference({ conference: room.UID }));
    expect(canceled.status).toBe('CANCEL');
    // Code 1: "Conference does not exist or is invalid".
    await fails('cancelConference', client.cancelConference({ conference: room.UID }), 1);
  });

  it('lists follow the clock: canceled and expired', async () => {
    const uids = (list: { conference: Conference[] }) => list.conference.map((c) => c.UID);
    expect(uids(await client.getCanceledConference())).toContain(room.UID);
    server.clock.set(testEpoch + 90 * 24 * 3600_000);
    expect(uids(await client.getExpiredConference())).toContain(reserved.UID);
  });

  it('getCall and getCallData return a past Call and its callers', async () => {
    const line = await client.createConferenceReservationless({ name: 'SDK call' });
    const caller = await client.addPerson({ conference: line.UID, role: 'PARTICIPANT', name: 'Dial In' });
    const bridge = async (path: string, body?: unknown) => {
      const response = await fetch(`${server.url}/bridge/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bridgeToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { callUID: string; callerUID: string };
    };
    const admitted = await bridge('/admit', { did: line.DID, pin: caller.PIN, ani: '+15551230000' });
    // "Will not retrieve data for active call" (spec): -2 while it is live.
    await fails('getCall', client.getCall({ conferenceUID: line.UID, callUID: admitted.callUID }), -2);
    await bridge(`/calls/${admitted.callUID}/end`);

    const call = typed('getCall', await client.getCall({ conferenceUID: line.UID, callUID: admitted.callUID }));
    expect(call).toMatchObject({ UID: admitted.callUID, conferenceUID: line.UID, status: 'CLOSED' });
    expect(call.callers).toEqual([admitted.callerUID]);
    const data = typed('getCallData', await client.getCallData({ conferenceUID: line.UID, callUID: admitted.callUID }));
    expect(data.call.UID).toBe(admitted.callUID);
    expect(data.caller.map((c) => [c.UID, c.personUID, c.name, c.active])).toEqual([
      [admitted.callerUID, caller.UID, 'Dial In', false],
    ]);
    await fails('getCallData', client.getCallData({ conferenceUID: line.UID, callUID: 'NOSUCHCALL' }), -2);
  });

  it('getEvents pages through the event log with a cursor', async () => {
    const first = typed('getEvents', await client.getEvents({ limit: 2 }));
    expect(first.event.map((e) => e.sequence)).toEqual([1, 2]);
    expect(first.event[0]!.type).toBe('conference.created');
    expect(typeof first.event[0]!.data).toBe('object');
    expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const next = typed('getEvents', await client.getEvents({ cursor: first.nextCursor!, limit: 1 }));
    expect(next.event.map((e) => e.sequence)).toEqual([3]);
    await fails('getEvents', client.getEvents({ limit: 0 }), -2);
  });

  it('addWebhook, getWebhooks, updateWebhook and removeWebhook manage an endpoint', async () => {
    const hook = typed(
      'addWebhook',
      await client.addWebhook({ url: 'https://93.184.215.14/sdk', eventTypes: ['person.registered', 'call.ended'] }),
    );
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.eventTypes).toEqual(['person.registered', 'call.ended']);
    const list = typed('getWebhooks', await client.getWebhooks());
    expect(list.webhook.map((w) => [w.UID, w.secret])).toEqual([[hook.UID, null]]);
    const one = typed('updateWebhook', await client.updateWebhook({ webhook: hook.UID, eventTypes: ['call.ended'] }));
    expect(one.eventTypes).toEqual(['call.ended']);
    const paused = typed('updateWebhook', await client.updateWebhook({ webhook: hook.UID, enabled: false }));
    expect(paused.status).toBe('disabled');
    expect(typed('removeWebhook', await client.removeWebhook({ webhook: hook.UID })).UID).toBe(hook.UID);
    await fails('addWebhook', client.addWebhook({ url: 'http://127.0.0.1/' }), -2);
    await fails('getWebhooks', badKey.getWebhooks(), -5);
    await fails('updateWebhook', client.updateWebhook({ webhook: hook.UID, enabled: true }), -2);
    await fails('removeWebhook', client.removeWebhook({ webhook: hook.UID }), -2);
  });

  it('covered every function the server serves, with a result and an error code each', () => {
    expect([...covered].sort()).toEqual([...registry.keys()].sort());
    expect([...errorsCovered].sort()).toEqual([...registry.keys()].sort());
  });
});

describe('an XML answer reads exactly as the JSON one', () => {
  let server: TestServer;
  let json: BatonClient;
  let xml: BatonClient;
  beforeAll(async () => {
    server = await startTestServer({ config: { bridgeToken } });
    const options = { baseUrl: server.url, retry: { attempts: 1 }, ...server.credentials };
    json = new BatonClient({ ...options, format: 'json' });
    xml = new BatonClient({ ...options, format: 'xml' });
  });
  afterAll(() => server.close());

  it('getEvents: the data of every event type (person, conference, reservation, call, caller, custom value)', async () => {
    const room = await json.createConferenceReservationless({ name: 'Events room' });
    const person = await json.addPerson({
      conference: room.UID,
      role: 'PRESENTER',
      name: 'Ann',
      email: 'a@example.com',
    });
    await json.updatePerson({ person: person.UID, field: 'notes', value: 'first row' });
    await json.updateConference({ conference: room.UID, field: 'notes', value: 'agenda' });
    await json.updateConferenceReservation({ reservationUID: room.reservations[0]!, estimatedCallers: 7 });
    await json.updateCustomValue({ objectType: 'person', objectUID: person.UID, customKey: 'seat', customValue: '12' });
    const bridge = async (path: string, body?: unknown) => {
      const response = await fetch(`${server.url}/bridge/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bridgeToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return (await response.json()) as { callUID: string };
    };
    const admitted = await bridge('/admit', { did: room.DID, pin: person.PIN, ani: '+15551230000' });
    await bridge(`/calls/${admitted.callUID}/end`);
    await json.removePerson({ conference: room.UID, person: person.UID });
    await json.cancelConference({ conference: room.UID });

    const fromJson = await json.getEvents({ limit: 1000 });
    const types = new Set(fromJson.event.map((e) => e.type.split('.')[0]));
    expect([...types].sort()).toEqual(['call', 'caller', 'conference', 'custom_value', 'person', 'reservation']);
    expect(await xml.getEvents({ limit: 1000 })).toEqual(fromJson);
  });
});
