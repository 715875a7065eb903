import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, parseXml, startTestServer, type TestServer } from '../../test/harness.js';

describe('updateCustomValue', () => {
  let server: TestServer;
  let conference: string;
  let person: string;
  beforeAll(async () => {
    server = await startTestServer();
    conference = await createConference(server);
    person = (await server.call('addPerson', { conference, role: 'PARTICIPANT' })).value.UID;
  });
  afterAll(() => server.close());

  /** Inserts a call with one caller straight into the store (the bridge makes them in production). */
  async function seedCall(status: 'ACTIVE' | 'CLOSED') {
    const { db } = server.services.store;
    const callUid = server.services.random.uid();
    const callerUid = server.services.random.uid();
    const customer = server.credentials.customer;
    await db
      .insertInto('calls')
      .values({
        uid: callUid,
        conference_uid: conference,
        customer_uid: customer,
        status,
        started_at: 1,
        settings: '[]',
        talking: 0,
        greenroom: 0,
        background_music: 0,
      })
      .execute();
    await db
      .insertInto('callers')
      .values({
        uid: callerUid,
        call_uid: callUid,
        conference_uid: conference,
        customer_uid: customer,
        role: 'PARTICIPANT',
        started_at: 1,
        mic: 1,
        mute: 0,
        deaf: 0,
        active: status === 'ACTIVE' ? 1 : 0,
        attention: 0,
      })
      .execute();
    return { callUid, callerUid };
  }

  it('sets a value on a conference, shown in its custom list', async () => {
    const answer = await server.call('updateCustomValue', {
      objectType: 'conference',
      objectUID: conference,
      customKey: 'RESELLER_INFO_TEXT',
      customValue: 'Call us',
    });
    expect(answer.code).toBe(0);
    expect(answer.value).toEqual({
      objectType: 'conference',
      objectUID: conference,
      custom: [{ key: 'RESELLER_INFO_TEXT', value: 'Call us' }],
    });
    const got = await server.call('getConference', { conferenceUID: conference });
    expect(got.value.custom).toEqual([{ key: 'RESELLER_INFO_TEXT', value: 'Call us' }]);
  });

  it('replaces a value and removes it when assigned an empty value', async () => {
    const set = (customValue: string) =>
      server.call('updateCustomValue', { objectType: 'person', objectUID: person, customKey: 'badge', customValue });
    await set('one');
    expect((await set('two')).value.custom).toEqual([{ key: 'badge', value: 'two' }]);
    expect((await set('')).value.custom).toEqual([]);
  });

  it('sets a value on the customer itself', async () => {
    const customer = server.credentials.customer;
    const answer = await server.call('updateCustomValue', {
      objectType: 'CUSTOMER',
      objectUID: customer,
      customKey: 'crm',
      customValue: 'id-7',
    });
    expect(answer.code).toBe(0);
    expect((await server.call('getCustomer')).value.custom).toEqual([{ key: 'crm', value: 'id-7' }]);
  });

  it('sets values on a finished call and caller, refuses them while live', async () => {
    const closed = await seedCall('CLOSED');
    for (const [objectType, objectUID] of [
      ['call', closed.callUid],
      ['caller', closed.callerUid],
    ] as const) {
      const answer = await server.call('updateCustomValue', {
        objectType,
        objectUID,
        customKey: 'k',
        customValue: 'v',
      });
      expect(answer.code).toBe(0);
      expect(answer.value.custom).toEqual([{ key: 'k', value: 'v' }]);
    }
    const live = await seedCall('ACTIVE');
    const call = await server.call('updateCustomValue', {
      objectType: 'call',
      objectUID: live.callUid,
      customKey: 'k',
      customValue: 'v',
    });
    expect(call.code).toBe(-2);
    expect(call.message).toContain('is active');
    const caller = await server.call('updateCustomValue', {
      objectType: 'caller',
      objectUID: live.callerUid,
      customKey: 'k',
      customValue: 'v',
    });
    expect(caller.code).toBe(-2);
    expect(caller.message).toContain('is active');
  });

  it('requires an http(s) URL for MC_CONFIRMATION_PAGE', async () => {
    const bad = await server.call('updateCustomValue', {
      objectType: 'conference',
      objectUID: conference,
      customKey: 'MC_CONFIRMATION_PAGE',
      customValue: 'javascript:alert(1)',
    });
    expect(bad.code).toBe(-2);
    const good = await server.call('updateCustomValue', {
      objectType: 'conference',
      objectUID: conference,
      customKey: 'MC_CONFIRMATION_PAGE',
      customValue: 'https://example.org/thanks',
    });
    expect(good.code).toBe(0);
  });

  it.each([
    [{ objectType: 'room' }, 'objectType must be one of conference, person, call, caller, customer'],
    [{ objectType: 'person', objectUID: 'NOSUCHPERSON0000' }, 'no person with UID NOSUCHPERSON0000'],
    [{ objectType: 'call', objectUID: 'NOSUCHCALL000000' }, 'no call with UID NOSUCHCALL000000'],
    [{ objectType: 'caller', objectUID: 'NOSUCHCALLER0000' }, 'no caller with UID NOSUCHCALLER0000'],
    [{ objectType: 'customer', objectUID: 'SOMEONEELSE00000' }, 'no customer with UID SOMEONEELSE00000'],
    [{ customKey: '' }, 'customKey is required'],
    [{ customKey: 'k'.repeat(101) }, 'customKey must be at most 100 characters'],
    [{ customValue: 'v'.repeat(4001) }, 'customValue must be at most 4000 characters'],
  ])('refuses %j with -2', async (override, message) => {
    const answer = await server.call('updateCustomValue', {
      objectType: 'conference',
      objectUID: conference,
      customKey: 'k',
      customValue: 'v',
      ...override,
    });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain(message);
  });

  it('holds at most 100 values on one object: the 101st key is -2 and not written, a replacement still works', async () => {
    const target = await createConference(server);
    const set = (customKey: string, customValue = 'v') =>
      server.call('updateCustomValue', { objectType: 'conference', objectUID: target, customKey, customValue });
    for (let i = 1; i <= 100; i++) expect((await set(`k${i}`)).code).toBe(0);
    const refused = await set('k101');
    expect(refused).toMatchObject({ code: -2, value: null });
    expect(refused.message).toContain('at most 100 custom values');
    const custom = (await server.call('getConference', { conferenceUID: target })).value.custom;
    expect(custom).toHaveLength(100);
    expect(custom.map((c: { key: string }) => c.key)).not.toContain('k101');
    expect((await set('k100', 'changed')).code).toBe(0);
    expect((await set('k100', '')).code).toBe(0);
    expect((await set('k101')).code).toBe(0);
  });

  it('treats another customer’s objects as nonexistent', async () => {
    const other = await server.addCustomer();
    for (const [objectType, objectUID] of [
      ['conference', conference],
      ['person', person],
      ['customer', server.credentials.customer],
    ] as [string, string][]) {
      const answer = await server.call(
        'updateCustomValue',
        { objectType, objectUID, customKey: 'k', customValue: 'v' },
        { as: other },
      );
      expect(answer).toEqual({ code: -2, message: `no ${objectType} with UID ${objectUID}`, value: null });
    }
  });

  it('renders the custom list in XML as customValue elements', async () => {
    const xml = await server.callXml('updateCustomValue', {
      objectType: 'person',
      objectUID: person,
      customKey: 'a&b',
      customValue: '<v>',
    });
    expect(xml).toContain('<custom><customValue><key>a&amp;b</key><value>&lt;v&gt;</value></customValue></custom>');
    expect(parseXml(xml).document.code).toBe('0');
  });
});
