import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, parseXml, startTestServer, type TestServer } from '../../test/harness.js';

describe('updatePerson and removePerson', () => {
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    server = await startTestServer();
    conference = await createConference(server);
  });
  afterAll(() => server.close());

  const addOne = async (name = 'Someone') =>
    (await server.call('addPerson', { conference, role: 'PARTICIPANT', name, email: 'someone@example.org' })).value;

  it.each([
    ['name', 'Zoë <Z> & "Co" 🎤', 'name', 'Zoë <Z> & "Co" 🎤'],
    ['email', 'new@example.org', 'email', 'new@example.org'],
    ['email', '', 'email', ''],
    ['notes', 'line one\nline two', 'notes', 'line one\nline two'],
    ['custom1', 'c-1', 'custom1', 'c-1'],
    ['custom2', 'c-2', 'custom2', 'c-2'],
    ['role', 'presenter', 'role', 'PRESENTER'],
    ['ROLE', 'OPERATOR', 'role', 'OPERATOR'],
  ])('updatePerson sets %s and getConferenceData reads it back', async (field, value, readField, expected) => {
    const person = await addOne();
    const answer = await server.call('updatePerson', { person: person.UID, field, value });
    expect(answer.code).toBe(0);
    expect(answer.value[readField]).toBe(expected);
    expect(answer.value.PIN).toBe(person.PIN);
    const data = await server.call('getConferenceData', { conferenceUID: conference });
    const stored = data.value.person.find((p: { UID: string }) => p.UID === person.UID);
    expect(stored[readField]).toBe(expected);
  });

  it('updatePerson round-trips awkward text in XML too', async () => {
    const person = await addOne();
    await server.call('updatePerson', { person: person.UID, field: 'notes', value: 'a<b>&"c" — ü 🎉' });
    const doc = parseXml(await server.callXml('getConferenceData', { conferenceUID: conference })).document;
    const people = Array.isArray(doc.value.person) ? doc.value.person : [doc.value.person];
    expect(people.find((p: { UID: string }) => p.UID === person.UID).notes).toBe('a<b>&"c" — ü 🎉');
  });

  it.each([
    [
      { field: 'PIN', value: '000000' },
      'field "PIN" cannot be updated; use one of name, email, notes, custom1, custom2, role',
    ],
    [{ field: 'conference', value: 'X' }, 'field "conference" cannot be updated'],
    [{ field: 'role', value: 'KING' }, 'role must be one of PARTICIPANT, ASSISTANT, PRESENTER, OPERATOR'],
    [{ field: 'email', value: 'nope' }, 'not a valid email address'],
    [{ field: 'name', value: 'n'.repeat(201) }, 'value for name must be at most 200 characters'],
  ])('updatePerson refuses %j with -2 and changes nothing', async (params, message) => {
    const person = await addOne('Unchanged');
    const answer = await server.call('updatePerson', { person: person.UID, ...params });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain(message);
    const data = await server.call('getConferenceData', { conferenceUID: conference });
    expect(data.value.person.find((p: { UID: string }) => p.UID === person.UID)).toMatchObject({
      name: 'Unchanged',
      role: 'PARTICIPANT',
      PIN: person.PIN,
    });
  });

  it('updatePerson treats an unknown or foreign person as nonexistent', async () => {
    const person = await addOne();
    const other = await server.addCustomer();
    const foreign = await server.call('updatePerson', { person: person.UID, field: 'name', value: 'x' }, { as: other });
    expect(foreign).toEqual({ code: -2, message: `no person with UID ${person.UID}`, value: null });
    const unknown = await server.call('updatePerson', { person: 'NOSUCHPERSON0000', field: 'name', value: 'x' });
    expect(unknown.code).toBe(-2);
  });

  it('removePerson removes the person and returns them', async () => {
    const person = await addOne('Leaving');
    const answer = await server.call('removePerson', { conference, person: person.UID });
    expect(answer.code).toBe(0);
    expect(answer.value).toMatchObject({ UID: person.UID, name: 'Leaving' });
    const summary = await server.call('getConference', { conferenceUID: conference });
    expect(summary.value.persons).not.toContain(person.UID);
    expect((await server.call('removePerson', { conference, person: person.UID })).code).toBe(-2);
  });

  it('removePerson refuses a person of another conference', async () => {
    const person = await addOne();
    const elsewhere = await createConference(server);
    const answer = await server.call('removePerson', { conference: elsewhere, person: person.UID });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain(`no person with UID ${person.UID} in conference ${elsewhere}`);
    const summary = await server.call('getConference', { conferenceUID: conference });
    expect(summary.value.persons).toContain(person.UID);
  });

  it('removePerson treats another customer’s conference as nonexistent', async () => {
    const person = await addOne();
    const other = await server.addCustomer();
    const answer = await server.call('removePerson', { conference, person: person.UID }, { as: other });
    expect(answer).toEqual({ code: -2, message: `no conference with UID ${conference}`, value: null });
  });

  it('removePerson gives the PIN back to the pool', async () => {
    const { cryptoRandom } = await import('../random.js');
    const fixed = await startTestServer({ random: { ...cryptoRandom, pin: () => '777777' } });
    try {
      const c = await createConference(fixed);
      const first = (await fixed.call('addPerson', { conference: c, role: 'PARTICIPANT' })).value;
      expect((await fixed.call('addPerson', { conference: c, role: 'PARTICIPANT' })).code).toBe(-3);
      await fixed.call('removePerson', { conference: c, person: first.UID });
      expect((await fixed.call('addPerson', { conference: c, role: 'PARTICIPANT' })).value.PIN).toBe('777777');
    } finally {
      await fixed.close();
    }
  });
});
