import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, parseXml, startTestServer, type TestServer } from '../../test/harness.js';

const awkward = `Board <review> & "Q1" — 'café' 🎉 日本語`;

describe('conference functions', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  describe('createConferenceReservationless', () => {
    it('returns a Conference with a UID, a security token and a setting per role', async () => {
      const answer = await server.call('createConferenceReservationless', {
        name: 'Weekly',
        contactEmail: 'host@example.org',
        greenroom: 'true',
        recording: '1',
        estimatedCallers: '25',
      });
      expect(answer.code).toBe(0);
      const c = answer.value;
      expect(c.UID).toMatch(/^[A-Z0-9]{16}$/);
      expect(c.securityToken).toMatch(/^[0-9a-f]{32}$/);
      expect(c).toMatchObject({
        name: 'Weekly',
        status: 'IDLE',
        reserved: false,
        greenroom: true,
        recording: true,
        contactEmail: 'host@example.org',
        customer: server.credentials.customer,
        scheduledStartTime: null,
        persons: [],
        calls: [],
        activeCallUID: null,
        registrationUrl: `${server.url}/conference/register/${c.UID}`,
      });
      expect(c.setting.map((f: { role: string }) => f.role)).toEqual([
        'PARTICIPANT',
        'ASSISTANT',
        'PRESENTER',
        'OPERATOR',
      ]);
      expect(c.reservations).toHaveLength(1);
    });

    it('keeps the estimated callers on its one reservation', async () => {
      const conference = await createConference(server, { estimatedCallers: '40' });
      const data = await server.call('getConferenceData', { conferenceUID: conference });
      expect(data.value.reservation).toEqual([
        expect.objectContaining({ estimateCaller: 40, startTime: null, endTime: null, duration: null }),
      ]);
    });

    it.each([
      [{ greenroom: 'perhaps' }, 'greenroom must be true or false'],
      [{ recording: '2' }, 'recording must be true or false'],
      [{ estimatedCallers: 'many' }, 'estimatedCallers must be a whole number'],
      [{ estimatedCallers: '0' }, 'estimatedCallers must be a whole number from 1'],
      [{ contactEmail: 'nobody' }, 'contactEmail is not a valid email address'],
      [{ name: 'n'.repeat(201) }, 'name must be at most 200 characters'],
    ])('refuses %j with -2 and creates nothing', async (params, message) => {
      const before = await server.call('getPossibleConference').catch(() => null);
      const answer = await server.call('createConferenceReservationless', params);
      expect(answer.code).toBe(-2);
      expect(answer.message).toContain(message);
      if (before?.code === 0) {
        expect((await server.call('getPossibleConference')).value.conference).toHaveLength(
          before.value.conference.length,
        );
      }
    });

    it('treats an empty boolean as not supplied', async () => {
      const answer = await server.call('createConferenceReservationless', { greenroom: '' });
      expect(answer.code).toBe(0);
    });
  });

  describe('getConference and getConferenceData', () => {
    it('round-trips markup, quotes, emoji and non-ASCII text in JSON', async () => {
      const conference = await createConference(server, { name: awkward });
      const answer = await server.call('getConference', { conferenceUID: conference });
      expect(answer.value.name).toBe(awkward);
    });

    it('round-trips the same text in XML', async () => {
      const conference = await createConference(server, { name: awkward });
      const xml = await server.callXml('getConference', { conferenceUID: conference });
      expect(xml).toContain('Board &lt;review&gt; &amp; "Q1" — \'café\' 🎉 日本語');
      expect(parseXml(xml).document.value.name).toBe(awkward);
    });

    it('lists person UIDs in getConference and full persons in getConferenceData', async () => {
      const conference = await createConference(server);
      const a = (await server.call('addPerson', { conference, role: 'PRESENTER', name: 'A', email: 'a@example.org' }))
        .value;
      const b = (await server.call('addPerson', { conference, role: 'PARTICIPANT', name: 'B' })).value;
      await server.call('updateCustomValue', {
        objectType: 'person',
        objectUID: b.UID,
        customKey: 'seat',
        customValue: '12',
      });
      const summary = await server.call('getConference', { conferenceUID: conference });
      expect(summary.value.persons).toEqual([a.UID, b.UID]);
      const data = await server.call('getConferenceData', { conferenceUID: conference });
      expect(data.value.person.map((p: { UID: string }) => p.UID)).toEqual([a.UID, b.UID]);
      expect(data.value.person[0]).toMatchObject({ name: 'A', PIN: a.PIN, role: 'PRESENTER', email: 'a@example.org' });
      expect(data.value.person[1].custom).toEqual([{ key: 'seat', value: '12' }]);
      expect(data.value.customer).toMatchObject({ UID: server.credentials.customer, name: 'Test customer' });
      expect(data.value.setting).toHaveLength(4);
    });

    it('renders getConferenceData in XML: persons wrapped as UIDs, person elements repeated bare', async () => {
      const conference = await createConference(server);
      const p = (await server.call('addPerson', { conference, role: 'PARTICIPANT', name: 'Only' })).value;
      const xml = await server.callXml('getConferenceData', { conferenceUID: conference });
      expect(xml).toContain(`<persons><UID>${p.UID}</UID></persons>`);
      expect(xml).toMatch(/<customer><ID>\d+<\/ID><UID>/);
      expect(xml).toContain(`<person><UID>${p.UID}</UID>`);
      expect(xml).toContain('<setting><roleFlag><role>PARTICIPANT</role><mike>true</mike>');
      expect(xml).not.toContain('<person><person>');
    });

    it('answers an unknown UID and another customer’s UID the same way', async () => {
      const conference = await createConference(server);
      const other = await server.addCustomer({ name: 'Other' });
      for (const fn of ['getConference', 'getConferenceData']) {
        const foreign = await server.call(fn, { conferenceUID: conference }, { as: other });
        expect(foreign).toEqual({ code: -2, message: `no conference with UID ${conference}`, value: null });
        const unknown = await server.call(fn, { conferenceUID: 'NOSUCHCONFERENCE' });
        expect(unknown).toEqual({ code: -2, message: 'no conference with UID NOSUCHCONFERENCE', value: null });
      }
    });

    it('refuses a missing conferenceUID with -2', async () => {
      expect(await server.call('getConference')).toEqual({
        code: -2,
        message: 'conferenceUID is required',
        value: null,
      });
    });
  });

  describe('updateConference', () => {
    it.each([
      ['contactEmail', 'x@example.org', 'x@example.org'],
      ['registerText', 'Join us <b>now</b>', 'Join us <b>now</b>'],
      ['notes', 'n', 'n'],
      ['recording', 'true', true],
      ['greenroom', 'yes', true],
      ['reminder', 'off', false],
      ['backgroundMusic', '1', true],
      ['callerInterface', 'full', 'full'],
      ['preCall', 'pre', 'pre'],
      ['postCall', 'post', 'post'],
      ['banner', 'b', 'b'],
      ['regComment', 'rc', 'rc'],
    ])('sets %s and getConference reads it back', async (field, value, expected) => {
      const conference = await createConference(server);
      const answer = await server.call('updateConference', { conference, field, value });
      expect(answer.code).toBe(0);
      expect(answer.value[field]).toEqual(expected);
      expect((await server.call('getConference', { conferenceUID: conference })).value[field]).toEqual(expected);
    });

    it('answers code 1 for a conference that does not exist, or another customer’s', async () => {
      const conference = await createConference(server);
      const other = await server.addCustomer();
      expect(
        (await server.call('updateConference', { conference: 'NOSUCHCONFERENCE', field: 'notes', value: 'x' })).code,
      ).toBe(1);
      expect(
        (await server.call('updateConference', { conference, field: 'notes', value: 'x' }, { as: other })).code,
      ).toBe(1);
    });

    it('answers code 1 for a canceled conference', async () => {
      const conference = await createConference(server);
      await server.call('cancelConference', { conference });
      expect((await server.call('updateConference', { conference, field: 'notes', value: 'x' })).code).toBe(1);
    });

    it('answers code 2 for a field it cannot set', async () => {
      const conference = await createConference(server);
      const answer = await server.call('updateConference', { conference, field: 'name', value: 'x' });
      expect(answer.code).toBe(2);
      expect(answer.message).toContain('contactEmail, registerText, notes');
    });

    it('answers -2 for a value the field cannot take', async () => {
      const conference = await createConference(server);
      const answer = await server.call('updateConference', { conference, field: 'recording', value: 'sometimes' });
      expect(answer.code).toBe(-2);
    });
  });

  describe('cancelConference', () => {
    it('cancels and returns the conference with status CANCEL', async () => {
      const conference = await createConference(server);
      const answer = await server.call('cancelConference', { conference });
      expect(answer.code).toBe(0);
      expect(answer.value).toMatchObject({ UID: conference, status: 'CANCEL' });
      expect((await server.call('getConference', { conferenceUID: conference })).value.status).toBe('CANCEL');
    });

    it('answers code 1 for an unknown, foreign or already canceled conference', async () => {
      const conference = await createConference(server);
      const other = await server.addCustomer();
      expect((await server.call('cancelConference', { conference: 'NOSUCHCONFERENCE' })).code).toBe(1);
      expect((await server.call('cancelConference', { conference }, { as: other })).code).toBe(1);
      expect((await server.call('cancelConference', { conference })).code).toBe(0);
      expect((await server.call('cancelConference', { conference })).code).toBe(1);
    });
  });
});
