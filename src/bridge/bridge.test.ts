import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeClient, registerPerson, testBridgeToken, type BridgeClient } from '../../test/bridge.js';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';
import { createReservedConference, utcText } from '../../test/reservations.js';
import { setCustomerStatus } from '../domain/customers.js';
import { updateConference } from '../store/conference.repository.js';
import { cryptoRandom } from '../random.js';

const did = '+1 555 0100';

describe('bridge authentication', () => {
  it('answers 503 with a JSON error when BRIDGE_TOKEN is not set', async () => {
    const server = await startTestServer();
    try {
      const answer = await bridgeClient(server, 'whatever-token-of-some-length').post('/admit', {
        did,
        pin: '123456',
        ani: '1',
      });
      expect(answer.status).toBe(503);
      expect(answer.body.error).toContain('BRIDGE_TOKEN');
    } finally {
      await server.close();
    }
  });

  describe('with a token configured', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ config: { bridgeToken: testBridgeToken } });
    });
    afterAll(() => server.close());

    it('refuses a request without a token with 401', async () => {
      const answer = await bridgeClient(server, null).post('/admit', { did, pin: '123456', ani: '1' });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatch(/bridge token/);
    });

    it('refuses a wrong token with 401, whatever its length', async () => {
      for (const token of ['x', `${testBridgeToken}x`, testBridgeToken.slice(0, -1), 'a'.repeat(300)]) {
        const answer = await bridgeClient(server, token).post('/admit', { did, pin: '123456', ani: '1' });
        expect(answer.status).toBe(401);
      }
    });

    it('accepts the token as an HTTP Basic password (what FreeSWITCH modules send)', async () => {
      const basic = Buffer.from(`freeswitch:${testBridgeToken}`).toString('base64');
      const answer = await bridgeClient(server, null).post(
        '/admit',
        { did, pin: '000000', ani: '1' },
        { authorization: `Basic ${basic}` },
      );
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ admitted: false, reason: 'unknown-pin' });
    });

    it('refuses a body that is not JSON, or has unknown fields, with 400', async () => {
      const bridge = bridgeClient(server);
      const notJson = await bridge.post('/admit', undefined, { 'content-type': 'application/json' });
      expect(notJson.status).toBe(400);
      const typo = await bridge.post('/admit', { did, pin: '123456', ani: '1', pni: '1' });
      expect(typo.status).toBe(400);
      expect(typo.body.error).toContain('pni');
    });
  });
});

describe('bridge admission and call lifecycle', () => {
  let server: TestServer;
  let bridge: BridgeClient;
  beforeAll(async () => {
    server = await startTestServer({ config: { bridgeToken: testBridgeToken } });
    bridge = bridgeClient(server);
  });
  afterAll(() => server.close());

  it('admits a registered PIN, creates the call and makes the conference ACTIVE', async () => {
    const conference = await createConference(server);
    const person = await registerPerson(server, conference, { role: 'PRESENTER', name: 'Ann' });
    const answer = await bridge.admit(did, person.PIN, '+15550001111');
    expect(answer).toMatchObject({
      admitted: true,
      conferenceUID: conference,
      personUID: person.UID,
      role: 'PRESENTER',
      mic: true,
      mute: false,
      deaf: false,
      greenroom: false,
      backgroundMusic: false,
      newCall: true,
    });
    expect(answer.callUID).toMatch(/^[A-Z0-9]{16}$/);
    expect(answer.callerUID).toMatch(/^[A-Z0-9]{16}$/);
    const live = await server.call('getConference', { conferenceUID: conference });
    expect(live.value.status).toBe('ACTIVE');
    expect(live.value.activeCallUID).toBe(answer.callUID);
    expect(live.value.calls).toEqual([answer.callUID]);
    const left = await bridge.leave(answer.callerUID);
    expect(left.body).toMatchObject({ active: false, callStatus: 'CLOSED', changed: true });
    const after = await server.call('getConference', { conferenceUID: conference });
    expect(after.value.status).toBe('IDLE');
    expect(after.value.activeCallUID).toBeNull();
  });

  it('admits a caller whose caller ID carries CR, LF or other controls, and keeps it as one line', async () => {
    const conference = await createConference(server);
    const person = await registerPerson(server, conference);
    const answer = await bridge.admit(did, person.PIN, '+1555\r\nX-Evil: 1\u001b[2J\u2028');
    expect(answer.admitted).toBe(true);
    await bridge.end(answer.callUID);
    const data = await server.call('getCallData', { conferenceUID: conference, callUID: answer.callUID });
    expect(data.code).toBe(0);
    expect(data.value.caller[0]).toMatchObject({ ANI: '+1555X-Evil: 1[2J', tag: '+1555X-Evil: 1[2J' });
  });

  it('matches the dialled number by its digits, whatever the punctuation', async () => {
    const conference = await createConference(server);
    const person = await registerPerson(server, conference);
    const answer = await bridge.admit('15550100', person.PIN);
    expect(answer.admitted).toBe(true);
    await bridge.end(answer.callUID);
  });

  it('copies the RoleFlags at call start: later changes to the conference do not reach the live call', async () => {
    const conference = await createConference(server);
    const participant = await registerPerson(server, conference);
    const second = await registerPerson(server, conference);
    const presenter = await registerPerson(server, conference, { role: 'PRESENTER' });
    const settings = (mute: boolean) =>
      JSON.stringify([
        { role: 'PARTICIPANT', mike: false, mute, deaf: false },
        { role: 'PRESENTER', mike: true, mute: false, deaf: false },
        { role: 'ASSISTANT', mike: true, mute: false, deaf: true },
        { role: 'OPERATOR', mike: true, mute: false, deaf: false },
      ]);
    const { db } = server.services.store;
    await updateConference(db, server.credentials.customer, conference, { settings: settings(true) });
    const first = await bridge.admit(did, participant.PIN);
    expect(first).toMatchObject({ admitted: true, role: 'PARTICIPANT', mic: false, mute: true, deaf: false });
    await updateConference(db, server.credentials.customer, conference, { settings: settings(false) });
    const next = await bridge.admit(did, second.PIN);
    expect(next).toMatchObject({ callUID: first.callUID, mute: true, mic: false });
    const lead = await bridge.admit(did, presenter.PIN);
    expect(lead).toMatchObject({ role: 'PRESENTER', mic: true, mute: false });
    await bridge.end(first.callUID);
    const call = await server.call('getCall', { conferenceUID: conference, callUID: first.callUID });
    expect(call.value.settings[0]).toEqual({ role: 'PARTICIPANT', mike: false, mute: true, deaf: false });
  });

  it('refuses a wrong PIN, a malformed PIN and an unknown number', async () => {
    const conference = await createConference(server);
    const person = await registerPerson(server, conference);
    const wrong = person.PIN === '999999' ? '999998' : '999999';
    expect(await bridge.admit(did, wrong, '+15550002001')).toEqual({
      admitted: false,
      reason: 'unknown-pin',
      message: 'no conference on this number has that PIN',
    });
    expect((await bridge.admit(did, '12ab56', '+15550002002')).reason).toBe('unknown-pin');
    expect((await bridge.admit('+1 555 0199', person.PIN, '+15550002003')).reason).toBe('unknown-pin');
    const conf = await server.call('getConference', { conferenceUID: conference });
    expect(conf.value.status).toBe('IDLE');
    expect(conf.value.calls).toEqual([]);
  });

  it('admits no one to the conferences of a customer without a dial-in number, whatever number is reported', async () => {
    const credentials = await server.addCustomer({ name: 'No phone line' });
    const created = await server.call('createConferenceReservationless', {}, { as: credentials });
    const added = await server.call(
      'addPerson',
      { conference: created.value.UID, role: 'PARTICIPANT' },
      { as: credentials },
    );
    expect(added.value.callInNumber).toBe('');
    // A number with no digits (an empty DNIS, a SIP name) names no line, not the customers without one.
    for (const dialled of ['', 'anonymous', 'sip:conference', ' ']) {
      const answer = await bridge.admit(dialled, added.value.PIN, '+15550002101');
      expect(answer, dialled).toMatchObject({ admitted: false, reason: 'unknown-pin' });
    }
    const after = await server.call('getConference', { conferenceUID: created.value.UID }, { as: credentials });
    expect(after.value.calls).toEqual([]);
  });

  it('refuses a canceled conference: its PINs went back to the pool', async () => {
    const conference = await createConference(server);
    const person = await registerPerson(server, conference);
    expect((await server.call('cancelConference', { conference })).code).toBe(0);
    const answer = await bridge.admit(did, person.PIN, '+15550003001');
    expect(answer).toMatchObject({ admitted: false, reason: 'unknown-pin' });
  });

  it('refuses a SCHED conference until its reservation window opens', async () => {
    const start = server.clock.now() + 24 * 3_600_000;
    const conference = await createReservedConference(server, [{ startDate: utcText(start), duration: 60 }]);
    const person = await registerPerson(server, conference);
    expect((await server.call('getConference', { conferenceUID: conference })).value.status).toBe('SCHED');
    expect(await bridge.admit(did, person.PIN, '+15550004001')).toMatchObject({
      admitted: false,
      reason: 'conference-not-open',
    });
    const saved = server.clock.now();
    try {
      server.clock.set(start - 10 * 60_000); // inside the 15 minutes before the start
      const answer = await bridge.admit(did, person.PIN, '+15550004001');
      expect(answer.admitted).toBe(true);
      await bridge.end(answer.callUID);
    } finally {
      server.clock.set(saved);
    }
  });

  it('refuses a CLOSED conference', async () => {
    const start = server.clock.now() + 3_600_000;
    const conference = await createReservedConference(server, [{ startDate: utcText(start), duration: 30 }]);
    const person = await registerPerson(server, conference);
    const saved = server.clock.now();
    try {
      server.clock.advance(3 * 3_600_000); // the 30-minute reservation ended an hour and a half ago
      expect(await bridge.admit(did, person.PIN, '+15550005001')).toMatchObject({
        admitted: false,
        reason: 'conference-closed',
      });
    } finally {
      server.clock.set(saved);
    }
  });

  it('refuses the callers of a suspended customer', async () => {
    const conference = await createConference(server);
    const person = await registerPerson(server, conference);
    await setCustomerStatus(server.services, server.credentials.customer, 'SUSPEND');
    try {
      expect(await bridge.admit(did, person.PIN, '+15550006001')).toMatchObject({
        admitted: false,
        reason: 'customer-suspended',
      });
    } finally {
      await setCustomerStatus(server.services, server.credentials.customer, 'ACTIVE');
    }
    expect((await bridge.admit(did, person.PIN, '+15550006001')).admitted).toBe(true);
  });

  it('makes exactly one call when callers reach an idle conference at the same instant', async () => {
    const conference = await createConference(server);
    const persons = await Promise.all(Array.from({ length: 12 }, () => registerPerson(server, conference)));
    const answers = await Promise.all(persons.map((p, i) => bridge.admit(did, p.PIN, `+1555100${i}`)));
    expect(answers.every((a) => a.admitted)).toBe(true);
    expect(new Set(answers.map((a) => a.callUID)).size).toBe(1);
    expect(answers.filter((a) => a.newCall)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.callerUID)).size).toBe(12);
    const ended = await bridge.end(answers[0].callUID);
    expect(ended.body).toMatchObject({ status: 'CLOSED', endedCallers: 12, changed: true });
    const conf = await server.call('getConference', { conferenceUID: conference });
    expect(conf.value.calls).toEqual([answers[0].callUID]);
    const data = await server.call('getCallData', { conferenceUID: conference, callUID: answers[0].callUID });
    expect(data.value.caller).toHaveLength(12);
  });

  it('closes the call when its last caller leaves, and a rejoin starts a new caller record', async () => {
    const conference = await createConference(server);
    const a = await registerPerson(server, conference);
    const b = await registerPerson(server, conference);
    const first = await bridge.admit(did, a.PIN);
    const second = await bridge.admit(did, b.PIN);
    expect((await bridge.leave(first.callerUID)).body).toMatchObject({ callStatus: 'ACTIVE', changed: true });
    const again = await bridge.admit(did, a.PIN);
    expect(again).toMatchObject({ callUID: first.callUID, newCall: false });
    expect(again.callerUID).not.toBe(first.callerUID);
    expect((await bridge.leave(second.callerUID)).body.callStatus).toBe('ACTIVE');
    expect((await bridge.leave(again.callerUID)).body.callStatus).toBe('CLOSED');
    // Leaving twice is harmless and changes nothing.
    expect((await bridge.leave(again.callerUID)).body).toMatchObject({ callStatus: 'CLOSED', changed: false });
    // The next caller starts a new call.
    const next = await bridge.admit(did, b.PIN);
    expect(next).toMatchObject({ newCall: true });
    expect(next.callUID).not.toBe(first.callUID);
    await bridge.end(next.callUID);
  });

  it('answers 404 for an unknown caller or call', async () => {
    expect((await bridge.leave('NOSUCHCALLER0000')).status).toBe(404);
    expect((await bridge.update('NOSUCHCALLER0000', { mute: true })).status).toBe(404);
    expect((await bridge.end('NOSUCHCALL000000')).status).toBe(404);
    expect((await bridge.leave('bad uid!')).status).toBe(404);
  });

  it('updates a live caller: mute, deaf, mic, breakouts, attention and tag', async () => {
    const conference = await createConference(server);
    const person = await registerPerson(server, conference);
    const other = await registerPerson(server, conference);
    const caller = await bridge.admit(did, person.PIN, '+15557770000');
    const stay = await bridge.admit(did, other.PIN, '+15557770001');
    const muted = await bridge.update(caller.callerUID, { mute: true, deaf: true, mic: false });
    expect(muted.body).toMatchObject({ mute: true, deaf: true, mic: false, active: true });
    server.clock.advance(60_000);
    expect((await bridge.update(caller.callerUID, { breakout: 'ROOM1', attention: 3 })).body).toMatchObject({
      breakout: 'ROOM1',
      attention: 3,
    });
    server.clock.advance(60_000);
    await bridge.update(stay.callerUID, { breakout: 'ROOM2' });
    expect((await bridge.update(caller.callerUID, { breakout: null, tag: 'VIP' })).body).toMatchObject({
      breakout: null,
      tag: 'VIP',
    });
    expect((await bridge.update(caller.callerUID, { tag: '  ' })).body.tag).toBe('+15557770000');
    expect((await bridge.update(caller.callerUID, { attention: 6 })).status).toBe(400);
    expect((await bridge.update(caller.callerUID, { mute: 'yes' })).status).toBe(400);
    expect((await bridge.update(caller.callerUID, { volume: 3 })).status).toBe(400);
    await bridge.leave(caller.callerUID);
    const gone = await bridge.update(caller.callerUID, { mute: false });
    expect(gone.status).toBe(409);
    await bridge.end(caller.callUID);
    const call = await server.call('getCall', { conferenceUID: conference, callUID: caller.callUID });
    // Every breakout the call used, though no caller is in one any more.
    expect(call.value.breakouts).toEqual(['ROOM1', 'ROOM2']);
    const data = await server.call('getCallData', { conferenceUID: conference, callUID: caller.callUID });
    const record = data.value.caller.find((c: { UID: string }) => c.UID === caller.callerUID);
    expect(record).toMatchObject({
      mute: true,
      deaf: true,
      mic: false,
      breakout: null,
      attention: 3,
      tag: '+15557770000',
    });
    expect(record.breakoutTime).toBe('Thu Jan 15 17:02:00 UTC 2026');
    expect(record.attentionTime).toBe('Thu Jan 15 17:01:00 UTC 2026');
  });

  it("refuses a tag that is not one line, with a 400 naming it, and keeps the caller's tag", async () => {
    const conference = await createConference(server);
    const person = await registerPerson(server, conference);
    const caller = await bridge.admit(did, person.PIN, '+15557770002');
    expect((await bridge.update(caller.callerUID, { tag: 'Chair' })).body.tag).toBe('Chair');
    for (const tag of [
      'VIP\r\nX-Evil: 1',
      'line\nbreak',
      'bell\u0007',
      'esc\u001b[2J',
      'sep\u2028x',
      'x'.repeat(101),
    ]) {
      const refused = await bridge.update(caller.callerUID, { tag, mute: true });
      expect(refused.status, JSON.stringify(tag)).toBe(400);
      expect(refused.body.error).toMatch(/^tag must /);
    }
    // Nothing of a refused update is written: neither the tag nor the mute beside it.
    const kept = await bridge.update(caller.callerUID, {});
    expect(kept.body).toMatchObject({ tag: 'Chair', mute: false });
    // Invisible characters alone are blank: the tag goes back to the ANI. A tab and non-ASCII stay.
    expect((await bridge.update(caller.callerUID, { tag: '\u200b\ufeff' })).body.tag).toBe('+15557770002');
    expect((await bridge.update(caller.callerUID, { tag: 'Zoë\tChair' })).body.tag).toBe('Zoë\tChair');
  });

  it('ends a call: every active caller leaves at that instant and the conference is derived again', async () => {
    const conference = await createConference(server);
    const a = await registerPerson(server, conference);
    const b = await registerPerson(server, conference);
    const first = await bridge.admit(did, a.PIN);
    await bridge.admit(did, b.PIN);
    server.clock.advance(5 * 60_000);
    const ended = await bridge.end(first.callUID);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ callUID: first.callUID, status: 'CLOSED', endedCallers: 2, changed: true });
    expect((await bridge.end(first.callUID)).body).toMatchObject({ status: 'CLOSED', changed: false });
    const conf = await server.call('getConference', { conferenceUID: conference });
    expect(conf.value).toMatchObject({ status: 'IDLE', activeCallUID: null });
    const data = await server.call('getCallData', { conferenceUID: conference, callUID: first.callUID });
    const endTime = data.value.call.actualEndTime;
    expect(data.value.caller.map((c: { endTime: string; active: boolean }) => [c.endTime, c.active])).toEqual([
      [endTime, false],
      [endTime, false],
    ]);
  });

  it('refuses custom values on an active call or caller, and allows them once the call is over', async () => {
    const conference = await createConference(server);
    const person = await registerPerson(server, conference);
    const live = await bridge.admit(did, person.PIN);
    const setValue = (objectType: string, objectUID: string) =>
      server.call('updateCustomValue', { objectType, objectUID, customKey: 'RESELLER_INFO_TEXT', customValue: 'Hi' });
    const onCall = await setValue('call', live.callUID);
    expect(onCall.code).toBe(-2);
    expect(onCall.message).toContain('active');
    const onCaller = await setValue('caller', live.callerUID);
    expect(onCaller.code).toBe(-2);
    expect(onCaller.message).toContain('active');
    await bridge.leave(live.callerUID);
    expect((await setValue('call', live.callUID)).code).toBe(0);
    expect((await setValue('caller', live.callerUID)).code).toBe(0);
    const data = await server.call('getCallData', { conferenceUID: conference, callUID: live.callUID });
    expect(data.value.call.custom).toEqual([{ key: 'RESELLER_INFO_TEXT', value: 'Hi' }]);
    expect(data.value.caller[0].custom).toEqual([{ key: 'RESELLER_INFO_TEXT', value: 'Hi' }]);
  });
});

describe('bridge PIN throttling', () => {
  it('throttles 50 wrong PINs from one ANI, and lets that phone in again after the window', async () => {
    const server = await startTestServer({ config: { bridgeToken: testBridgeToken } });
    try {
      const bridge = bridgeClient(server);
      const conference = await createConference(server);
      const person = await registerPerson(server, conference);
      const ani = '+15559990000';
      const reasons: string[] = [];
      for (let i = 0; i < 50; i++) {
        const guess = String(100000 + i);
        if (guess === person.PIN) continue;
        reasons.push((await bridge.admit(did, guess, ani)).reason);
      }
      // The default limit is 10 wrong PINs per ANI per 15 minutes.
      expect(reasons.slice(0, 10)).toEqual(Array(10).fill('unknown-pin'));
      expect(new Set(reasons.slice(10))).toEqual(new Set(['throttled']));
      // Even the right PIN is refused from that phone while it is throttled…
      const blocked = await bridge.admit(did, person.PIN, ani);
      expect(blocked).toMatchObject({ admitted: false, reason: 'throttled' });
      expect(blocked.retryAfter).toBeGreaterThan(0);
      // …while another phone with the right PIN gets in.
      const other = await bridge.admit(did, person.PIN, '+15559990001');
      expect(other.admitted).toBe(true);
      await bridge.end(other.callUID);
      server.clock.advance(15 * 60_000);
      const later = await bridge.admit(did, person.PIN, ani);
      expect(later.admitted).toBe(true);
      await bridge.end(later.callUID);
    } finally {
      await server.close();
    }
  });

  it('counts one phone written several ways (+1 555 999 0000, 15559990000, 1-555-999-0000) as one ANI', async () => {
    const server = await startTestServer({ config: { bridgeToken: testBridgeToken } });
    try {
      const bridge = bridgeClient(server);
      const conference = await createConference(server);
      const person = await registerPerson(server, conference);
      const spellings = ['+1 555 999 0000', '15559990000', '1-555-999-0000', '+1 (555) 999-0000', ' +15559990000 '];
      const reasons: string[] = [];
      for (let i = 0; reasons.length < 20; i++) {
        const guess = String(200000 + i);
        if (guess === person.PIN) continue;
        reasons.push((await bridge.admit(did, guess, spellings[i % spellings.length]!)).reason);
      }
      // 10 wrong PINs per ANI per 15 minutes, whichever way the number was written.
      expect(reasons.slice(0, 10)).toEqual(Array(10).fill('unknown-pin'));
      expect(new Set(reasons.slice(10))).toEqual(new Set(['throttled']));
      for (const spelling of spellings) {
        expect((await bridge.admit(did, person.PIN, spelling)).reason, spelling).toBe('throttled');
      }
      // Numbers without a digit are one caller, "anonymous": its guesses count together too.
      const hidden: string[] = [];
      for (let i = 0; hidden.length < 11; i++) {
        const guess = String(300000 + i);
        if (guess === person.PIN) continue;
        hidden.push((await bridge.admit(did, guess, ['', 'anonymous', 'Restricted'][i % 3]!)).reason);
      }
      expect(hidden.at(-1)).toBe('throttled');
      // Another phone is not held back.
      const other = await bridge.admit(did, person.PIN, '+15559990001');
      expect(other.admitted).toBe(true);
      await bridge.end(other.callUID);
    } finally {
      await server.close();
    }
  });

  it('throttles wrong PINs on one DID from many phones', async () => {
    const server = await startTestServer({ config: { bridgeToken: testBridgeToken, bridgePinFailuresPerDid: 5 } });
    try {
      const bridge = bridgeClient(server);
      const conference = await createConference(server);
      const person = await registerPerson(server, conference);
      const wrong = person.PIN === '000001' ? '000002' : '000001';
      for (let i = 0; i < 5; i++) {
        expect((await bridge.admit(did, wrong, `+1555888000${i}`)).reason).toBe('unknown-pin');
      }
      expect((await bridge.admit(did, person.PIN, '+15558889999')).reason).toBe('throttled');
    } finally {
      await server.close();
    }
  });
});

describe('one dial-in number written two ways', () => {
  it('is one PIN pool: two customers on +1 555 0100 and 1-555-0100 never share a PIN, and a PIN admits its own person', async () => {
    // Every draw is the same PIN until it is taken, so the second registration must find it held.
    const draws = ['424242', '424242', '515151'];
    let i = 0;
    const server = await startTestServer({
      config: { bridgeToken: testBridgeToken },
      did: '+1 555 0100',
      random: { ...cryptoRandom, pin: () => draws[Math.min(i++, draws.length - 1)]! },
    });
    try {
      const other = await server.addCustomer({ name: 'Same line', did: '1-555-0100' });
      expect((await server.call('getCustomer', {}, { as: other })).value.DID).toBe('+1 555 0100');
      const first = await createConference(server);
      const ann = (await server.call('addPerson', { conference: first, role: 'PRESENTER', name: 'Ann' })).value;
      const theirs = (await server.call('createConferenceReservationless', { name: 'Theirs' }, { as: other })).value;
      const bob = (
        await server.call('addPerson', { conference: theirs.UID, role: 'PRESENTER', name: 'Bob' }, { as: other })
      ).value;
      expect(ann.PIN).toBe('424242');
      expect(bob.PIN).toBe('515151');
      const bridge = bridgeClient(server);
      expect(await bridge.admit('15550100', '515151')).toMatchObject({ admitted: true, conferenceUID: theirs.UID });
      expect(await bridge.admit('15550100', '424242')).toMatchObject({ admitted: true, conferenceUID: first });
    } finally {
      await server.close();
    }
  });
});
