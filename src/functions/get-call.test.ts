import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeClient, registerPerson, testBridgeToken, type BridgeClient } from '../../test/bridge.js';
import { createConference, parseXml, startTestServer, testEpoch, type TestServer } from '../../test/harness.js';

const minute = 60_000;

describe('a call end to end: PIN admission over HTTP, then getCall and getCallData', () => {
  let server: TestServer;
  let bridge: BridgeClient;
  let conference: string;
  let persons: Record<'ann' | 'bob' | 'cy', { UID: string; PIN: string }>;
  let callUID: string;
  const callerUIDs: string[] = [];
  // What the API said while the call was live.
  const duringCall: Record<string, any> = {};

  beforeAll(async () => {
    server = await startTestServer({ config: { bridgeToken: testBridgeToken }, timeZone: 'America/New_York' });
    bridge = bridgeClient(server);
    conference = await createConference(server, { name: 'Weekly sync' });
    persons = {
      ann: await registerPerson(server, conference, {
        role: 'PRESENTER',
        name: 'Ann Lee',
        email: 'ann@example.org',
        notes: 'host',
        custom1: 'team-a',
        custom2: 'north',
      }),
      bob: await registerPerson(server, conference, { role: 'PARTICIPANT', name: 'Bob Roe', email: 'bob@example.org' }),
      cy: await registerPerson(server, conference, { role: 'ASSISTANT', name: 'Cy Poe', notes: 'takes minutes' }),
    };

    // 12:00 New York: Ann dials in; Bob at 12:01; Cy at 12:02.
    server.clock.set(testEpoch);
    const ann = await bridge.admit('+1 555 0100', persons.ann.PIN, '+12125550001');
    callUID = ann.callUID;
    callerUIDs.push(ann.callerUID);
    server.clock.set(testEpoch + 1 * minute);
    const bob = await bridge.admit('+1 555 0100', persons.bob.PIN, '+12125550002');
    callerUIDs.push(bob.callerUID);
    server.clock.set(testEpoch + 2 * minute);
    const cy = await bridge.admit('+1 555 0100', persons.cy.PIN, '+12125550003');
    callerUIDs.push(cy.callerUID);

    duringCall.conference = await server.call('getConference', { conferenceUID: conference });
    duringCall.active = await server.call('getActiveConference');
    duringCall.possible = await server.call('getPossibleConference');
    duringCall.getCall = await server.call('getCall', { conferenceUID: conference, callUID });
    duringCall.getCallData = await server.call('getCallData', { conferenceUID: conference, callUID });
    duringCall.getCallXml = await server.callXml('getCall', { conferenceUID: conference, callUID });

    // 12:10 Bob's line drops; he dials back in at 12:12.
    server.clock.set(testEpoch + 10 * minute);
    duringCall.bobLeft = await bridge.leave(bob.callerUID);
    server.clock.set(testEpoch + 12 * minute);
    const bobAgain = await bridge.admit('+1 555 0100', persons.bob.PIN, '+12125550002');
    callerUIDs.push(bobAgain.callerUID);
    duringCall.rejoinCall = bobAgain.callUID;

    // 12:30 the media server ends the call.
    server.clock.set(testEpoch + 30 * minute);
    duringCall.ended = await bridge.end(callUID);
    server.clock.set(testEpoch + 45 * minute);
  });
  afterAll(() => server.close());

  it('shows the conference ACTIVE with the live call while it runs, and refuses getCall/getCallData then', () => {
    expect(duringCall.conference.value).toMatchObject({ status: 'ACTIVE', activeCallUID: callUID, calls: [callUID] });
    const active = duringCall.active.value.conference;
    expect(active.map((c: { UID: string }) => c.UID)).toEqual([conference]);
    expect(active[0]).toMatchObject({ status: 'ACTIVE', activeCallUID: callUID });
    expect(duringCall.possible.value.conference.map((c: { UID: string }) => c.UID)).not.toContain(conference);
    for (const answer of [duringCall.getCall, duringCall.getCallData]) {
      expect(answer.code).toBe(-2);
      expect(answer.value).toBeNull();
      expect(answer.message).toContain('active');
      expect(answer.message).toContain('Conductor');
    }
    expect(parseXml(duringCall.getCallXml).document.code).toBe('-2');
  });

  it('keeps one call across the leave and the rejoin', () => {
    expect(duringCall.bobLeft.body).toMatchObject({ callStatus: 'ACTIVE', changed: true });
    expect(duringCall.rejoinCall).toBe(callUID);
    expect(duringCall.ended.body).toMatchObject({ status: 'CLOSED', endedCallers: 3 });
  });

  it('derives the conference again once the call is over', async () => {
    const answer = await server.call('getConference', { conferenceUID: conference });
    expect(answer.value).toMatchObject({ status: 'IDLE', activeCallUID: null, calls: [callUID] });
    expect((await server.call('getActiveConference')).value.conference).toEqual([]);
    const possible = await server.call('getPossibleConference');
    expect(possible.value.conference.map((c: { UID: string }) => c.UID)).toContain(conference);
  });

  it('getCall returns the Call object with callers as UIDs, in the customer’s time zone', async () => {
    const answer = await server.call('getCall', { conferenceUID: conference, callUID });
    expect(answer.code).toBe(0);
    expect(answer.value).toEqual({
      UID: callUID,
      name: 'Weekly sync',
      actualStartTime: 'Thu Jan 15 12:00:00 EST 2026',
      actualEndTime: 'Thu Jan 15 12:30:00 EST 2026',
      status: 'CLOSED',
      notes: '',
      conferenceUID: conference,
      socketXML: null,
      callers: callerUIDs,
      breakouts: [],
      data: '',
      server: '',
      serverConferenceUID: conference,
      currentTime: 'Thu Jan 15 12:45:00 EST 2026',
      talking: false,
      greenroom: false,
      tags: [],
      settings: [
        { role: 'PARTICIPANT', mike: true, mute: false, deaf: false },
        { role: 'ASSISTANT', mike: true, mute: false, deaf: false },
        { role: 'PRESENTER', mike: true, mute: false, deaf: false },
        { role: 'OPERATOR', mike: true, mute: false, deaf: false },
      ],
      backgroundMusic: false,
      custom: [],
    });
  });

  it('getCallData returns one call with 4 caller records: times, roles, personUIDs and the person’s fields', async () => {
    const answer = await server.call('getCallData', { conferenceUID: conference, callUID });
    expect(answer.code).toBe(0);
    expect(Object.keys(answer.value)).toEqual(['call', 'caller']);
    expect(answer.value.call.UID).toBe(callUID);
    const callers = answer.value.caller;
    expect(callers).toHaveLength(4);
    const summary = callers.map((c: any) => [c.UID, c.personUID, c.role, c.startTime, c.endTime, c.active]);
    expect(summary).toEqual([
      [
        callerUIDs[0],
        persons.ann.UID,
        'PRESENTER',
        'Thu Jan 15 12:00:00 EST 2026',
        'Thu Jan 15 12:30:00 EST 2026',
        false,
      ],
      [
        callerUIDs[1],
        persons.bob.UID,
        'PARTICIPANT',
        'Thu Jan 15 12:01:00 EST 2026',
        'Thu Jan 15 12:10:00 EST 2026',
        false,
      ],
      [
        callerUIDs[2],
        persons.cy.UID,
        'ASSISTANT',
        'Thu Jan 15 12:02:00 EST 2026',
        'Thu Jan 15 12:30:00 EST 2026',
        false,
      ],
      [
        callerUIDs[3],
        persons.bob.UID,
        'PARTICIPANT',
        'Thu Jan 15 12:12:00 EST 2026',
        'Thu Jan 15 12:30:00 EST 2026',
        false,
      ],
    ]);
    expect(callers[0]).toEqual({
      UID: callerUIDs[0],
      ANI: '+12125550001',
      PIN: persons.ann.PIN,
      startTime: 'Thu Jan 15 12:00:00 EST 2026',
      endTime: 'Thu Jan 15 12:30:00 EST 2026',
      role: 'PRESENTER',
      breakout: null,
      breakoutTime: null,
      mic: true,
      mute: false,
      deaf: false,
      active: false,
      tag: '+12125550001',
      attention: 0,
      attentionTime: null,
      data: '',
      notes: 'host',
      custom1: 'team-a',
      custom2: 'north',
      personUID: persons.ann.UID,
      name: 'Ann Lee',
      email: 'ann@example.org',
      custom: [],
    });
    expect(callers[2]).toMatchObject({ name: 'Cy Poe', email: '', notes: 'takes minutes' });
  });

  it('renders getCallData in XML as <call> beside one bare <caller> per record', async () => {
    const xml = await server.callXml('getCallData', { conferenceUID: conference, callUID });
    expect(xml).toContain(`<value><call><UID>${callUID}</UID>`);
    expect(xml).toContain(`<callers><UID>${callerUIDs[0]}</UID><UID>${callerUIDs[1]}</UID>`);
    expect(xml).toContain('<tags></tags><settings><roleFlag><role>PARTICIPANT</role>');
    expect(xml).not.toContain('<caller><caller>');
    const parsed = new (await import('fast-xml-parser')).XMLParser({ isArray: (name) => name === 'caller' }).parse(xml);
    const value = parsed.document.value;
    expect(value.caller).toHaveLength(4);
    expect(value.caller.map((c: { personUID: string }) => c.personUID)).toEqual([
      persons.ann.UID,
      persons.bob.UID,
      persons.cy.UID,
      persons.bob.UID,
    ]);
    expect(parsed.document.code).toBe(0);
  });

  it('treats an unknown call, another conference’s call and another customer’s call as nonexistent (-2)', async () => {
    const unknown = await server.call('getCall', { conferenceUID: conference, callUID: 'NOSUCHCALL000000' });
    expect(unknown).toEqual({
      code: -2,
      message: `no call with UID NOSUCHCALL000000 in conference ${conference}`,
      value: null,
    });
    const elsewhere = await createConference(server);
    const wrongConference = await server.call('getCallData', { conferenceUID: elsewhere, callUID });
    expect(wrongConference.code).toBe(-2);
    expect(wrongConference.message).toBe(`no call with UID ${callUID} in conference ${elsewhere}`);
    const other = await server.addCustomer({ name: 'Other' });
    const foreign = await server.call('getCall', { conferenceUID: conference, callUID }, { as: other });
    expect(foreign).toEqual({ code: -2, message: `no conference with UID ${conference}`, value: null });
    const missing = await server.call('getCallData', { conferenceUID: conference });
    expect(missing.code).toBe(-2);
    expect(missing.message).toContain('callUID');
  });
});
