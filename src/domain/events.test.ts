/**
 * The event log: every change appends its event in its own transaction, with a
 * per-customer sequence that only grows; a change that fails appends nothing.
 * Read through getEvents over real HTTP (JSON and XML).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeClient, registerPerson, testBridgeToken } from '../../test/bridge.js';
import { createConference, parseXml, startTestServer, type TestServer } from '../../test/harness.js';
import { createReservedConference, utcText } from '../../test/reservations.js';
import { inTransaction } from '../store/database.js';
import { listEvents } from '../store/event.repository.js';
import { recordEvents } from './events.js';

describe('the event log', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { bridgeToken: testBridgeToken } });
  });
  afterAll(() => server.close());

  /** The events after `after`, through getEvents. */
  const eventsAfter = async (after: number) => {
    const answer = await server.call('getEvents', { after, limit: 1000 });
    expect(answer.code).toBe(0);
    return answer.value.event as { sequence: number; type: string; id: string; time: string; data: any }[];
  };
  const last = async () => (await eventsAfter(0)).at(-1)?.sequence ?? 0;

  it('records every API change with its object as the API presents it, numbered 1, 2, 3 …', async () => {
    const conference = await createConference(server, { name: 'Event room' });
    const person = (
      await server.call('addPerson', { conference, role: 'PARTICIPANT', name: 'Ann', email: 'ann@example.org' })
    ).value;
    await server.call('updatePerson', { person: person.UID, field: 'notes', value: 'VIP' });
    await server.call('updateCustomValue', {
      objectType: 'person',
      objectUID: person.UID,
      customKey: 'crm',
      customValue: '42',
    });
    await server.call('updateConference', { conference, field: 'notes', value: 'Agenda' });
    await server.call('removePerson', { conference, person: person.UID });
    await server.call('cancelConference', { conference });

    const events = await eventsAfter(0);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.type)).toEqual([
      'conference.created',
      'person.registered',
      'person.updated',
      'custom_value.updated',
      'conference.updated',
      'person.removed',
      'conference.canceled',
    ]);
    expect(events[0]!.data.conference).toMatchObject({ UID: conference, name: 'Event room', status: 'IDLE' });
    expect(events[1]!.data).toEqual({ person, source: 'api' });
    expect(events[2]!.data.person).toMatchObject({ UID: person.UID, notes: 'VIP' });
    expect(events[3]!.data).toEqual({
      objectType: 'person',
      objectUID: person.UID,
      key: 'crm',
      value: '42',
      custom: [{ key: 'crm', value: '42' }],
    });
    expect(events[4]!.data.conference).toMatchObject({ notes: 'Agenda', persons: [person.UID] });
    expect(events[5]!.data.person).toMatchObject({ UID: person.UID, custom: [{ key: 'crm', value: '42' }] });
    expect(events[6]!.data.conference).toMatchObject({ status: 'CANCEL', persons: [] });
    for (const e of events) {
      expect(e.id).toMatch(/^evt_[A-Z0-9]{16}$/);
      expect(new Date(e.time).getTime()).toBe(server.clock.now());
    }
  });

  it('records reservation changes and a reserved conference', async () => {
    const before = await last();
    const day = 24 * 3_600_000;
    const conference = await createReservedConference(server, [
      { startDate: utcText(server.clock.now() + day), duration: 30 },
      { startDate: utcText(server.clock.now() + 2 * day), duration: 30 },
    ]);
    const start = new Date(server.clock.now() + 10 * day).toISOString();
    const added = await server.call('addConferenceReservation', { conference, startDate: start, duration: 30 });
    expect(added.code).toBe(0);
    await server.call('updateConferenceReservation', { reservationUID: added.value.UID, duration: 60 });
    await server.call('removeConferenceReservation', { reservationUID: added.value.UID });
    const events = await eventsAfter(before);
    expect(events.map((e) => e.type)).toEqual([
      'conference.created',
      'reservation.added',
      'reservation.updated',
      'reservation.removed',
    ]);
    expect(events[0]!.data.conference).toMatchObject({ UID: conference, status: 'SCHED' });
    expect(events[0]!.data.conference.reservations).toHaveLength(2);
    expect(events[1]!.data.reservation).toMatchObject({ UID: added.value.UID, duration: 30 });
    expect(events[2]!.data.reservation).toMatchObject({ UID: added.value.UID, duration: 60 });
    expect(events[3]!.data.reservation).toMatchObject({ UID: added.value.UID, duration: 60 });
  });

  it('records a call through the bridge: call.started, caller.joined, caller.left, call.ended', async () => {
    const conference = await createConference(server);
    const people = [await registerPerson(server, conference), await registerPerson(server, conference)];
    const before = await last();
    const bridge = bridgeClient(server);
    const first = await bridge.admit('+1 555 0100', people[0]!.PIN);
    // Callers of one instant are listed by UID: a second apart, they are listed in join order.
    server.clock.advance(1000);
    const second = await bridge.admit('+1 555 0100', people[1]!.PIN);
    expect((await bridge.leave(first.callerUID)).status).toBe(200);
    expect((await bridge.end(second.callUID)).status).toBe(200);
    const events = await eventsAfter(before);
    expect(events.map((e) => e.type)).toEqual([
      'call.started',
      'caller.joined',
      'caller.joined',
      'caller.left',
      'caller.left',
      'call.ended',
    ]);
    expect(events[0]!.data.call).toMatchObject({ UID: first.callUID, status: 'ACTIVE', callers: [first.callerUID] });
    expect(events[1]!.data.caller).toMatchObject({ UID: first.callerUID, active: true });
    expect(events[3]!.data.caller).toMatchObject({ UID: first.callerUID, active: false });
    expect(events[4]!.data.caller).toMatchObject({ UID: second.callerUID, active: false });
    expect(events[5]!.data.call).toMatchObject({ status: 'CLOSED', callers: [first.callerUID, second.callerUID] });
  });

  it('records a self-registration with source self-registration', async () => {
    const conference = await createConference(server);
    const before = await last();
    const page = await fetch(`${server.url}/conference/register/${conference}?name=Bea&email=bea@example.org`);
    expect(page.status).toBe(200);
    const events = await eventsAfter(before);
    expect(events.map((e) => e.type)).toEqual(['person.registered']);
    expect(events[0]!.data.source).toBe('self-registration');
    expect(events[0]!.data.person).toMatchObject({ name: 'Bea', email: 'bea@example.org' });
  });

  it('appends nothing for a change that is refused', async () => {
    const conference = await createConference(server);
    await server.call('cancelConference', { conference });
    const before = await last();
    expect((await server.call('addPerson', { conference, role: 'PARTICIPANT' })).code).toBe(-2);
    expect((await server.call('cancelConference', { conference })).code).toBe(1);
    expect((await server.call('updatePerson', { person: 'NOSUCHPERSON0000', field: 'name', value: 'x' })).code).toBe(
      -2,
    );
    expect(
      (
        await server.call('updateCustomValue', {
          objectType: 'conference',
          objectUID: conference,
          customKey: 'MC_CONFIRMATION_PAGE',
          customValue: 'not a url',
        })
      ).code,
    ).toBe(-2);
    expect(await last()).toBe(before);
  });

  it('appends nothing, and hands out no sequence number, when the transaction rolls back', async () => {
    const other = await server.addCustomer({ name: 'Rollback Inc' });
    const { services } = server;
    const event = { type: 'custom_value.updated' as const, data: { key: 'k' } };
    await expect(
      inTransaction(services.store.db, async (trx) => {
        await recordEvents(trx, services, other.customer, [event]);
        throw new Error('the change failed after its event');
      }),
    ).rejects.toThrow('the change failed');
    expect(await listEvents(services.store.db, other.customer, 0, 10)).toEqual([]);
    await inTransaction(services.store.db, async (trx) => recordEvents(trx, services, other.customer, [event, event]));
    const rows = await listEvents(services.store.db, other.customer, 0, 10);
    expect(rows.map((r) => r.sequence)).toEqual([1, 2]);
  });

  it('numbers each customer on its own and shows a customer only its own events', async () => {
    const other = await server.addCustomer({ name: 'Other Co' });
    const answer = await server.call('getEvents', {}, { as: other });
    expect(answer.value).toEqual({ event: [] });
    await server.call('createConferenceReservationless', {}, { as: other });
    const mine = await server.call('getEvents', {}, { as: other });
    expect(mine.value.event.map((e: { sequence: number }) => e.sequence)).toEqual([1]);
  });

  it('numbers parallel changes of one customer without a gap or a repeat', async () => {
    const conference = await createConference(server);
    const before = await last();
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        server.call('addPerson', { conference, role: 'PARTICIPANT', name: `P${i}` }),
      ),
    );
    expect(answers.every((a) => a.code === 0)).toBe(true);
    const events = await eventsAfter(before);
    expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 30 }, (_, i) => before + i + 1));
    expect(new Set(events.map((e) => e.data.person.UID))).toEqual(new Set(answers.map((a) => a.value.UID)));
  });
});

describe('getEvents', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    const conference = await createConference(server);
    for (let i = 0; i < 4; i++) await server.call('addPerson', { conference, role: 'PARTICIPANT', name: `N${i}` });
  });
  afterAll(() => server.close());

  it('pages with limit and nextCursor to the end, every event once', async () => {
    const seen: number[] = [];
    let answer = await server.call('getEvents', { limit: 2 });
    for (;;) {
      expect(answer.code).toBe(0);
      seen.push(...answer.value.event.map((e: { sequence: number }) => e.sequence));
      if (answer.value.nextCursor === undefined) break;
      answer = await server.call('getEvents', { limit: 2, cursor: answer.value.nextCursor });
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('answers after=N with the events after N', async () => {
    const answer = await server.call('getEvents', { after: 3 });
    expect(answer.value.event.map((e: { sequence: number }) => e.sequence)).toEqual([4, 5]);
    expect(answer.value).not.toHaveProperty('nextCursor');
  });

  it('renders events in XML, one <event> each, with the object inside', async () => {
    const doc = parseXml(await server.callXml('getEvents', { after: 0, limit: 2 })).document;
    expect(doc.code).toBe('0');
    expect(doc.value.event).toHaveLength(2);
    expect(doc.value.event[0].type).toBe('conference.created');
    expect(doc.value.event[1].data.person.name).toBe('N0');
    expect(doc.value.event[1].data.source).toBe('api');
    expect(doc.value.nextCursor).not.toBe('');
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '1001' }, 'limit'],
    [{ after: '-1' }, 'after'],
    [{ after: 'x' }, 'after'],
    [{ cursor: 'bm90IGEgY3Vyc29y' }, 'cursor'],
    [{ cursor: 'eyJhZnRlciI6LTF9' }, 'cursor'],
    [{ cursor: 'x'.repeat(513) }, 'cursor'],
    [{ after: '1', cursor: 'eyJhZnRlciI6MX0' }, 'not both'],
    [{ cursor: 'WyJjb25mZXJlbmNlOkFDVElWRSIsMV0.AAAAAAAAAAA' }, 'cursor'],
  ])('refuses %j with -2', async (params, text) => {
    const answer = await server.call('getEvents', params);
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain(text);
  });
});
