import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml, startTestServer, type TestServer } from '../../test/harness.js';

describe('getCustomer and updateCustomer', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('getCustomer returns the Customer object', async () => {
    const answer = await server.call('getCustomer');
    expect(answer.code).toBe(0);
    expect(answer.value).toMatchObject({
      UID: server.credentials.customer,
      name: 'Test customer',
      status: 'ACTIVE',
      DID: '+1 555 0100',
      timeZone: 'UTC',
      recording: false,
      greenroom: false,
      backgroundMusic: false,
      reminder: true,
      inboundList: [],
      custom: [],
    });
    expect(typeof answer.value.ID).toBe('number');
  });

  it.each([
    ['contactEmail', 'a@example.org, b@example.org', 'contactEmails', 'a@example.org,b@example.org'],
    ['greenroom', 'YES', 'greenroom', true],
    ['recording', 'on', 'recording', true],
    ['reminder', '0', 'reminder', false],
    ['backgroundMusic', 'true', 'backgroundMusic', true],
    ['affiliateCode', 'AFF-1', 'affiliateCode', 'AFF-1'],
    ['preCall', 'Welcome', 'preCall', 'Welcome'],
    ['postCall', 'Bye', 'postCall', 'Bye'],
    ['banner', 'Banner', 'banner', 'Banner'],
    ['callerInterface', 'simple', 'callerInterface', 'simple'],
    ['regComment', 'Comment', 'regComment', 'Comment'],
    ['timeZone', 'America/New_York', 'timeZone', 'America/New_York'],
  ])('updateCustomer sets %s and getCustomer reads it back', async (field, value, readField, expected) => {
    const answer = await server.call('updateCustomer', { field, value });
    expect(answer.code).toBe(0);
    expect(answer.value[readField]).toEqual(expected);
    expect((await server.call('getCustomer')).value[readField]).toEqual(expected);
  });

  it.each([
    ['europe/paris', 'Europe/Paris'],
    ['  AMERICA/NEW_YORK ', 'America/New_York'],
    ['utc', 'UTC'],
    ['asia/kolkata', 'Asia/Kolkata'],
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['america/argentina/buenos_aires', 'America/Argentina/Buenos_Aires'],
    ['US/Eastern', 'America/New_York'],
    ['Etc/UTC', 'UTC'],
  ])('updateCustomer stores the time zone %j under one spelling, %j, and reads it back so', async (value, expected) => {
    const answer = await server.call('updateCustomer', { field: 'timeZone', value });
    expect(answer.code).toBe(0);
    expect(answer.value.timeZone).toBe(expected);
    expect((await server.call('getCustomer')).value.timeZone).toBe(expected);
    expect((await server.call('updateCustomer', { field: 'timeZone', value: 'UTC' })).code).toBe(0);
  });

  it('getCustomer reads a time zone stored before names were canonical under its one spelling', async () => {
    const db = server.services.store.db;
    await db
      .updateTable('customers')
      .set({ time_zone: 'europe/paris' })
      .where('uid', '=', server.credentials.customer)
      .execute();
    try {
      expect((await server.call('getCustomer')).value.timeZone).toBe('Europe/Paris');
    } finally {
      await db
        .updateTable('customers')
        .set({ time_zone: 'UTC' })
        .where('uid', '=', server.credentials.customer)
        .execute();
    }
  });

  it('updateCustomer matches the field name in any case', async () => {
    expect((await server.call('updateCustomer', { field: 'GREENROOM', value: 'false' })).value.greenroom).toBe(false);
  });

  it.each([
    [{ field: 'name', value: 'x' }, 'field "name" cannot be updated'],
    [{ field: 'greenroom', value: 'maybe' }, 'value for greenroom must be true or false, got "maybe"'],
    [{ field: 'contactEmail', value: 'not-an-email' }, 'value for contactEmail is not a valid email address'],
    [{ field: 'timeZone', value: 'Mars/Base' }, 'value for timeZone must be an IANA time zone'],
    [{ value: 'x' }, 'field is required'],
  ])('updateCustomer refuses %j with -2', async (params, message) => {
    const answer = await server.call('updateCustomer', params);
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain(message);
  });

  it('new conferences take the customer defaults', async () => {
    await server.call('updateCustomer', { field: 'recording', value: 'true' });
    await server.call('updateCustomer', { field: 'greenroom', value: 'true' });
    await server.call('updateCustomer', { field: 'backgroundMusic', value: 'false' });
    await server.call('updateCustomer', { field: 'reminder', value: 'false' });
    await server.call('updateCustomer', { field: 'contactEmail', value: 'owner@example.org' });
    const created = await server.call('createConferenceReservationless', {});
    expect(created.value).toMatchObject({
      recording: true,
      greenroom: true,
      backgroundMusic: false,
      reminder: false,
      contactEmail: 'owner@example.org',
      DID: '+1 555 0100',
    });
  });

  it('renders the customer in XML with list fields kept as elements', async () => {
    const doc = parseXml(await server.callXml('getCustomer')).document;
    expect(doc.code).toBe('0');
    expect(doc.value.UID).toBe(server.credentials.customer);
    expect(doc.value.inboundList).toBe('');
  });
});
