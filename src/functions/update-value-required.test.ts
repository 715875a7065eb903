import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';

// The spec marks what may be left out "(Optional)"; the update* functions' `value` (and updateCustomValue's
// `customValue`) is not: "value	String	Value to be assigned to field". Left out, it is a -2 naming it and
// nothing changes (it used to clear the field); sent empty (`value=`), it assigns the empty value.
let server: TestServer;
let conference: string;
let person: string;

beforeAll(async () => {
  server = await startTestServer();
  conference = await createConference(server);
  const added = await server.call('addPerson', { conference, role: 'PARTICIPANT', name: 'Kept', notes: 'kept' });
  person = added.value.UID as string;
  expect((await server.call('updateConference', { conference, field: 'registerText', value: 'kept' })).code).toBe(0);
  expect((await server.call('updateCustomer', { field: 'banner', value: 'kept' })).code).toBe(0);
  expect(
    (
      await server.call('updateCustomValue', {
        objectType: 'conference',
        objectUID: conference,
        customKey: 'k',
        customValue: 'kept',
      })
    ).code,
  ).toBe(0);
});
afterAll(async () => {
  await server?.close();
});

describe('an update without its value', () => {
  it('updatePerson: -2 "value is required", in JSON and XML, and the field is kept', async () => {
    expect(await server.call('updatePerson', { person, field: 'notes' })).toEqual({
      code: -2,
      message: 'value is required',
      value: null,
    });
    const xml = await server.callXml('updatePerson', { person, field: 'name' });
    expect(xml).toContain('<code>-2</code>');
    expect(xml).toContain('<message>value is required</message>');
    const data = await server.call('getConferenceData', { conferenceUID: conference });
    expect(data.value.person.find((p: { UID: string }) => p.UID === person)).toMatchObject({
      name: 'Kept',
      notes: 'kept',
    });
  });

  it('updateConference and updateCustomer: -2 "value is required", and the field is kept', async () => {
    expect(await server.call('updateConference', { conference, field: 'registerText' })).toEqual({
      code: -2,
      message: 'value is required',
      value: null,
    });
    expect((await server.call('getConference', { conferenceUID: conference })).value.registerText).toBe('kept');
    expect(await server.call('updateCustomer', { field: 'banner' })).toEqual({
      code: -2,
      message: 'value is required',
      value: null,
    });
    expect((await server.call('getCustomer')).value.banner).toBe('kept');
  });

  it('updateCustomValue: -2 "customValue is required", and the value is kept', async () => {
    const answer = await server.call('updateCustomValue', {
      objectType: 'conference',
      objectUID: conference,
      customKey: 'k',
    });
    expect(answer).toEqual({ code: -2, message: 'customValue is required', value: null });
    const custom = (await server.call('getConference', { conferenceUID: conference })).value.custom;
    expect(custom).toEqual([{ key: 'k', value: 'kept' }]);
  });

  it('an empty value is still assigned: it clears the text, and removes the custom value', async () => {
    const cleared = await server.call('updatePerson', { person, field: 'notes', value: '' });
    expect(cleared.code).toBe(0);
    expect(cleared.value.notes).toBe('');
    const removed = await server.call('updateCustomValue', {
      objectType: 'conference',
      objectUID: conference,
      customKey: 'k',
      customValue: '',
    });
    expect(removed.code).toBe(0);
    expect(removed.value.custom).toEqual([]);
  });
});
