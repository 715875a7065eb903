/**
 * Webhook delivery through real HTTP: a receiver in the test gets signed
 * events (verified with the standardwebhooks package) in sequence order, and
 * catches up after being down; failing endpoints back off, then are disabled
 * and their owner emailed; private addresses are refused unless allowed.
 */
import { Webhook as Verifier } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bridgeClient, registerPerson, testBridgeToken } from '../../test/bridge.js';
import { runCli } from '../../test/cli.js';
import { createConference, parseXml, startTestServer, type TestServer } from '../../test/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/webhook-receiver.js';
import { isPrivateAddress } from '../domain/webhook-address.js';
import { listMail } from '../store/mail.repository.js';
import { webhookRetryDelayMs } from './webhook-delivery.js';

const did = '+1 555 0100';

describe('webhook delivery', () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    server = await startTestServer({
      jobs: true,
      config: {
        bridgeToken: testBridgeToken,
        webhookAllowPrivate: true,
        registrationLimit: 0,
        webhookTimeoutSeconds: 1,
      },
    });
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
    receiver.deliveries.length = 0;
  });
  afterEach(() => receiver.stop());

  const addEndpoint = async (params: Record<string, string> = {}) => {
    const answer = await server.call('addWebhook', { url: receiver.url, ...params });
    expect(answer.code).toBe(0);
    return answer.value as { UID: string; secret: string };
  };
  const settle = async () => {
    await server.jobs!.whenIdle();
  };
  const endpointState = async (uid: string) =>
    (await server.call('getWebhooks')).value.webhook.find((w: { UID: string }) => w.UID === uid);

  it('delivers signed events for an API add, a self-registration and a bridge call, in sequence order', async () => {
    const conference = await createConference(server, { name: 'Webhook room' });
    const endpoint = await addEndpoint();
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const ann = await registerPerson(server, conference, { name: 'Ann' });
    const page = await fetch(`${server.url}/conference/register/${conference}?name=Bea&email=bea@example.org`);
    expect(page.status).toBe(200);
    const data = await server.call('getConferenceData', { conferenceUID: conference });
    const bea = data.value.person.find((p: { name: string }) => p.name === 'Bea');
    const cy = await registerPerson(server, conference, { name: 'Cy' });
    const bridge = bridgeClient(server);
    const callers = [];
    for (const pin of [ann.PIN, bea.PIN, cy.PIN]) callers.push(await bridge.admit(did, pin));
    for (const caller of callers) expect((await bridge.leave(caller.callerUID)).status).toBe(200);
    await settle();

    const verifier = new Verifier(endpoint.secret);
    const events = receiver.deliveries.map((d) => {
      const verified = verifier.verify(d.body, d.headers as Record<string, string>) as { id: string };
      expect(d.headers['webhook-id']).toBe(verified.id);
      expect(d.headers['content-type']).toBe('application/json');
      return d.event;
    });
    expect(events.map((e) => e.type)).toEqual([
      'person.registered',
      'person.registered',
      'person.registered',
      'call.started',
      'caller.joined',
      'caller.joined',
      'caller.joined',
      'caller.left',
      'caller.left',
      'caller.left',
      'call.ended',
    ]);
    const sequences = events.map((e) => e.sequence);
    expect(sequences).toEqual(sequences.map((_, i) => sequences[0]! + i));
    expect(events.slice(0, 3).map((e) => [e.data.person.name, e.data.source])).toEqual([
      ['Ann', 'api'],
      ['Bea', 'self-registration'],
      ['Cy', 'api'],
    ]);
    expect(events[3]!.data.call.conferenceUID).toBe(conference);
    expect(events.slice(4, 7).map((e) => e.data.caller.UID)).toEqual(callers.map((c) => c.callerUID));
    expect(events[10]!.data.call).toMatchObject({ status: 'CLOSED' });
    expect((await endpointState(endpoint.UID)).deliveredSequence).toBe(sequences.at(-1));
    // A tampered body fails verification.
    expect(() =>
      verifier.verify(receiver.deliveries[0]!.body.replace('Ann', 'Eve'), receiver.deliveries[0]!.headers as never),
    ).toThrow();
    await server.call('removeWebhook', { webhook: endpoint.UID });
  });

  it('delivers what a stopped receiver missed, in order and none lost, once it is back', async () => {
    const conference = await createConference(server);
    const endpoint = await addEndpoint({ eventTypes: 'person.registered' });
    await registerPerson(server, conference, { name: 'before' });
    await settle();
    expect(receiver.deliveries.map((d) => d.event.data.person.name)).toEqual(['before']);

    await receiver.stop();
    for (let i = 0; i < 5; i++) await registerPerson(server, conference, { name: `missed ${i}` });
    await settle();
    const failing = await endpointState(endpoint.UID);
    expect(failing).toMatchObject({ status: 'enabled', failedAttempts: 1 });
    expect(failing.lastError).toMatch(/ECONN(REFUSED|RESET)/);
    expect(failing.nextAttemptTime).toBe(new Date(server.clock.now() + webhookRetryDelayMs(1)).toISOString());

    // Still down at the first retry: the backoff grows.
    server.clock.advance(webhookRetryDelayMs(1));
    await server.jobs!.runOnce();
    expect(await endpointState(endpoint.UID)).toMatchObject({ failedAttempts: 2 });

    await receiver.start();
    await server.jobs!.runOnce(); // not due yet: nothing is sent early
    expect(receiver.deliveries.map((d) => d.event.data.person.name)).toEqual(['before']);
    server.clock.advance(webhookRetryDelayMs(2));
    await server.jobs!.runOnce();
    expect(receiver.deliveries.map((d) => d.event.data.person.name)).toEqual([
      'before',
      ...Array.from({ length: 5 }, (_, i) => `missed ${i}`),
    ]);
    const sequences = receiver.deliveries.map((d) => d.event.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    expect(new Set(sequences).size).toBe(sequences.length);
    expect(await endpointState(endpoint.UID)).toMatchObject({ failedAttempts: 0, failingSince: null, lastError: '' });
    await server.call('removeWebhook', { webhook: endpoint.UID });
  });

  it('rotates the secret: the new one is shown once, and both sign deliveries for a day, then only the new one', async () => {
    const conference = await createConference(server);
    const endpoint = await addEndpoint({ eventTypes: 'person.registered' });
    const rotated = await server.call('updateWebhook', { webhook: endpoint.UID, rotateSecret: 'true' });
    expect(rotated.code).toBe(0);
    const secret = rotated.value.secret as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secret).not.toBe(endpoint.secret);
    // Shown once: the list shows no secret, in any form.
    const listed = (await server.call('getWebhooks')).value.webhook.find(
      (w: { UID: string }) => w.UID === endpoint.UID,
    );
    expect(listed.secret).toBeNull();
    const signatures = (d: (typeof receiver.deliveries)[number]) => {
      const at = new Date(Number(d.headers['webhook-timestamp']) * 1000);
      const id = d.headers['webhook-id'] as string;
      const header = (d.headers['webhook-signature'] as string).split(' ');
      return {
        count: header.length,
        withNew: header.includes(new Verifier(secret).sign(id, at, d.body)),
        withOld: header.includes(new Verifier(endpoint.secret).sign(id, at, d.body)),
      };
    };
    await registerPerson(server, conference);
    await settle();
    expect(receiver.deliveries).toHaveLength(1);
    expect(signatures(receiver.deliveries[0]!)).toEqual({ count: 2, withNew: true, withOld: true });

    const day = 24 * 3_600_000;
    server.clock.advance(day + 1000);
    try {
      await registerPerson(server, conference);
      await settle();
      expect(receiver.deliveries).toHaveLength(2);
      expect(signatures(receiver.deliveries[1]!)).toEqual({ count: 1, withNew: true, withOld: false });
    } finally {
      server.clock.advance(-(day + 1000));
    }
    // Rotating needs nothing else; an unknown endpoint is still a -2.
    expect((await server.call('updateWebhook', { webhook: 'NOSUCHWEBHOOK000', rotateSecret: 'true' })).code).toBe(-2);
    await server.call('removeWebhook', { webhook: endpoint.UID });
  });

  it('sends only the types an endpoint wants, and moves its cursor past the others', async () => {
    const conference = await createConference(server);
    const endpoint = await addEndpoint({ eventTypes: 'call.ended, conference.canceled' });
    await registerPerson(server, conference);
    await server.call('cancelConference', { conference });
    await settle();
    expect(receiver.deliveries.map((d) => d.event.type)).toEqual(['conference.canceled']);
    const last = (await server.call('getEvents', { after: 0, limit: 1000 })).value.event.at(-1).sequence;
    expect((await endpointState(endpoint.UID)).deliveredSequence).toBe(last);
    await server.call('removeWebhook', { webhook: endpoint.UID });
  });

  it('fails an attempt the receiver does not answer in time, or answers with an error status', async () => {
    const conference = await createConference(server);
    const endpoint = await addEndpoint();
    receiver.respond = 'hang';
    await registerPerson(server, conference);
    await settle();
    expect((await endpointState(endpoint.UID)).lastError).toBe('no answer within 1 s');
    receiver.respond = 503;
    server.clock.advance(webhookRetryDelayMs(1));
    await server.jobs!.runOnce();
    expect(await endpointState(endpoint.UID)).toMatchObject({ lastError: 'HTTP 503', failedAttempts: 2 });
    expect(receiver.deliveries).toEqual([]);
    await server.call('removeWebhook', { webhook: endpoint.UID });
  });

  it('disables an endpoint that keeps failing, emails its owner, and resumes where it stopped when re-enabled', async () => {
    const owner = await server.addCustomer({ name: 'Owner Ltd' });
    const as = { as: owner };
    await server.call('updateCustomer', { field: 'contactEmail', value: 'ops@owner.example' }, as);
    const created = await server.call('createConferenceReservationless', {}, as);
    const conference = created.value.UID as string;
    const added = await server.call('addWebhook', { url: `${receiver.url}?token=receiver-secret` }, as);
    const uid = added.value.UID as string;
    const state = async () => (await server.call('getWebhooks', {}, as)).value.webhook[0];
    receiver.respond = 500;
    await server.call('addPerson', { conference, role: 'PARTICIPANT', name: 'lost?' }, as);
    await settle();
    expect(await state()).toMatchObject({ status: 'enabled', failedAttempts: 1 });

    // Past the disable time (3 days by default) the next failure disables it.
    server.clock.advance(server.services.config.webhookDisableAfterSeconds * 1000);
    await server.jobs!.runOnce();
    const disabled = await state();
    expect(disabled).toMatchObject({ status: 'disabled', lastError: 'HTTP 500' });
    expect(disabled.disabledTime).toBe(new Date(server.clock.now()).toISOString());
    const mail = await listMail(server.services.store.db, owner.customer, { kind: 'webhook-disabled' });
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ recipient: 'ops@owner.example' });
    expect(mail[0]!.subject).toContain(`127.0.0.1`);
    // The receiver's own token in the URL's query is not put in an email.
    expect(mail[0]!.message).not.toContain('receiver-secret');

    // Disabled: nothing is sent, however long we wait.
    receiver.respond = 204;
    server.clock.advance(24 * 3_600_000);
    await server.jobs!.runOnce();
    expect(receiver.deliveries).toEqual([]);

    const enabled = await server.call('updateWebhook', { webhook: uid, enabled: 'true' }, as);
    expect(enabled.value).toMatchObject({ status: 'enabled', failedAttempts: 0, disabledTime: null });
    await settle();
    await server.jobs!.runOnce();
    expect(receiver.deliveries.map((d) => d.event.type)).toEqual(['person.registered']);
    expect(receiver.deliveries[0]!.event.data.person.name).toBe('lost?');
  });

  it('redelivers with baton events replay --endpoint … --after N', async () => {
    const conference = await createConference(server);
    const endpoint = await addEndpoint({ eventTypes: 'person.registered' });
    for (let i = 0; i < 3; i++) await registerPerson(server, conference, { name: `R${i}` });
    await settle();
    const sequences = receiver.deliveries.map((d) => d.event.sequence);
    expect(sequences).toHaveLength(3);

    const result = await runCli(
      ['events', 'replay', '--endpoint', endpoint.UID, '--after', String(sequences[0]), '--json'],
      { DATABASE_URL: server.database.url },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ endpoint: endpoint.UID, after: sequences[0] });
    await server.jobs!.runOnce();
    expect(receiver.deliveries.map((d) => d.event.sequence)).toEqual([...sequences, ...sequences.slice(1)]);

    const unknown = await runCli(['events', 'replay', '--endpoint', 'NOSUCHENDPOINT00', '--after', '0'], {
      DATABASE_URL: server.database.url,
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no webhook endpoint NOSUCHENDPOINT00');
    await server.call('removeWebhook', { webhook: endpoint.UID });
  }, 120_000);
});

describe('webhook endpoints', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { webhookAllowPrivate: false } });
  });
  afterAll(() => server.close());

  it('add, list (without the secret), update and remove an endpoint, in JSON and XML', async () => {
    // A literal public address: nothing is resolved and nothing is sent (no job runner).
    const added = await server.call('addWebhook', {
      url: 'https://93.184.215.14/hooks',
      eventTypes: 'person.registered,call.ended',
      description: 'CRM',
    });
    expect(added.code).toBe(0);
    expect(added.value).toMatchObject({
      url: 'https://93.184.215.14/hooks',
      eventTypes: ['person.registered', 'call.ended'],
      description: 'CRM',
      status: 'enabled',
      failedAttempts: 0,
    });
    const uid = added.value.UID as string;
    const listed = await server.call('getWebhooks');
    expect(listed.value.webhook).toHaveLength(1);
    expect(listed.value.webhook[0].secret).toBeNull();
    const xml = parseXml(await server.callXml('getWebhooks')).document;
    expect(xml.value.webhook.UID).toBe(uid);
    expect(xml.value.webhook.eventTypes.type).toEqual(['person.registered', 'call.ended']);
    expect(xml.value.webhook.secret).toBe('');

    const updated = await server.call('updateWebhook', { webhook: uid, eventTypes: '', enabled: 'false' });
    expect(updated.value).toMatchObject({ eventTypes: [], status: 'disabled' });
    const removed = await server.call('removeWebhook', { webhook: uid });
    expect(removed.value.UID).toBe(uid);
    expect((await server.call('getWebhooks')).value.webhook).toEqual([]);
    expect((await server.call('removeWebhook', { webhook: uid })).code).toBe(-2);
  });

  it.each([
    [{ url: 'http://127.0.0.1:8080/' }, 'private, loopback or reserved'],
    [{ url: 'http://localhost/' }, 'private, loopback or reserved'],
    [{ url: 'http://10.1.2.3/' }, 'private'],
    [{ url: 'http://[::1]/' }, 'private'],
    [{ url: 'http://169.254.169.254/latest/meta-data' }, 'private'],
    [{ url: 'http://[::ffff:192.168.0.1]/' }, 'private'],
    [{ url: 'ftp://93.184.215.14/' }, 'http:// or https://'],
    [{ url: 'not a url' }, 'http:// or https:// URL'],
    [{ url: 'https://user:pw@93.184.215.14/' }, 'user name or password'],
    [{ url: `https://93.184.215.14/${'x'.repeat(2000)}` }, 'at most 2000'],
    [{ url: 'https://93.184.215.14/', eventTypes: 'person.exploded' }, 'unknown event type'],
    [{}, 'url'],
  ])('addWebhook refuses %j with -2 and adds nothing', async (params, text) => {
    const answer = await server.call('addWebhook', params);
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain(text);
    expect((await server.call('getWebhooks')).value.webhook).toEqual([]);
  });

  it('updateWebhook refuses a private address, nothing to change, and an unknown or foreign endpoint', async () => {
    const uid = (await server.call('addWebhook', { url: 'https://93.184.215.14/' })).value.UID as string;
    expect((await server.call('updateWebhook', { webhook: uid, url: 'http://192.168.1.1/' })).code).toBe(-2);
    expect((await server.call('updateWebhook', { webhook: uid })).message).toContain('nothing to change');
    expect((await server.call('updateWebhook', { webhook: 'NOSUCHWEBHOOK000', enabled: 'true' })).code).toBe(-2);
    const other = await server.addCustomer({ name: 'Stranger' });
    expect((await server.call('getWebhooks', {}, { as: other })).value.webhook).toEqual([]);
    const foreign = await server.call('removeWebhook', { webhook: uid }, { as: other });
    expect(foreign).toMatchObject({ code: -2, message: `no webhook with UID ${uid}` });
    expect((await server.call('getWebhooks')).value.webhook[0].url).toBe('https://93.184.215.14/');
    await server.call('removeWebhook', { webhook: uid });
  });

  it('keeps at most 20 endpoints per customer', async () => {
    const owner = await server.addCustomer({ name: 'Many hooks' });
    for (let i = 0; i < 20; i++) {
      expect((await server.call('addWebhook', { url: `https://93.184.215.14/${i}` }, { as: owner })).code).toBe(0);
    }
    const refused = await server.call('addWebhook', { url: 'https://93.184.215.14/21' }, { as: owner });
    expect(refused).toMatchObject({ code: -2 });
    expect(refused.message).toContain('at most 20');
  });

  it('tells private from public addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '::ffff:a00:1',
      '224.0.0.1',
      '::7f00:1',
      '::127.0.0.1',
      '64:ff9b:1::a00:1',
      '2002:7f00:1::',
      '2002:a00:1::1',
      '2002:c0a8:101::',
      '2002::1',
      '2002::1.2.3.4',
      // Deprecated 6to4 relay anycast; Teredo (carries an obfuscated IPv4 address) and the other
      // IETF protocol assignments; IPv6 documentation (RFC 9637); SRv6 segment identifiers (RFC 9602).
      '192.88.99.1',
      '2001::1',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      '2001:2::1',
      '2001:1ff::1',
      '3fff::1',
      '5f00::1',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of [
      '93.184.215.14',
      '8.8.8.8',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
      '2002:808:808::1',
      '2001:200::1',
      '2001:4860:4860::8888',
    ]) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });
});
