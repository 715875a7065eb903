/**
 * /metrics through real HTTP: after a known series of calls — successes, a
 * -2, two -5s and a throttled call, bridge callers, a sent and a queued
 * message — the exposition holds exactly those counts. It is refused without
 * its token, absent from the API port when it has a port of its own, and
 * absent everywhere when not configured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdminUser, siteClient } from '../../test/admin.js';
import { bridgeClient, registerPerson, testBridgeToken } from '../../test/bridge.js';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';
import { enqueueMail } from '../mail/queue.js';
import type { MailMessage } from '../mail/message.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

const token = 'metrics-token-0123456789';

/** Parses the text exposition into `name{labels}` → value. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const message = (to: string): MailMessage => ({ to, subject: 'Hello', text: 'Hello' }) as MailMessage;

describe('/metrics', () => {
  let server: TestServer | undefined;
  let metricsServer: MetricsServer | undefined;
  let outbox: string | undefined;
  afterEach(async () => {
    await metricsServer?.close();
    await server?.close();
    if (outbox) rmSync(outbox, { recursive: true, force: true });
    server = metricsServer = outbox = undefined;
  });

  it('counts refusals of the site’s sign-in throttle as admin-sign-in', async () => {
    server = await startTestServer({ metrics: true, config: { metricsToken: token } });
    const user = await createAdminUser(server, server.credentials.customer);
    const site = siteClient(server);
    // Ten failures are allowed a minute; the eleventh and twelfth attempts are refused.
    for (let i = 0; i < 12; i++) await site.signIn(user.email, `wrong password ${i}`);
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    const m = parseExposition(await response.text());
    expect(m.get('baton_throttle_refusals_total{throttle="admin-sign-in"}')).toBe(2);
  });

  it('counts a known series of calls exactly, behind METRICS_TOKEN on the API port', async () => {
    outbox = mkdtempSync(join(tmpdir(), 'baton-outbox-'));
    server = await startTestServer({
      metrics: true,
      jobs: true,
      config: {
        metricsToken: token,
        authFailureLimit: 2,
        bridgeToken: testBridgeToken,
        bridgePinFailuresPerAni: 1,
        mailOutboxDir: outbox,
      },
    });
    const { services, clock } = server;

    // Three answers of getCustomer in JSON and one in XML, all code 0.
    for (let i = 0; i < 3; i++) expect((await server.call('getCustomer')).code).toBe(0);
    expect(await server.callXml('getCustomer')).toContain('<code>0</code>');
    // An unknown function: -2, counted under "unknown" (never the name sent).
    expect((await server.call('noSuchFunction')).code).toBe(-2);
    // Two wrong keys (-5), then the address is throttled: a third call is refused (-5) however right its key.
    const wrong = { customer: server.credentials.customer, key: '0'.repeat(32) };
    expect((await server.call('getCustomer', {}, { as: wrong })).code).toBe(-5);
    expect((await server.call('getCustomer', {}, { as: wrong })).code).toBe(-5);
    expect((await server.call('getCustomer')).code).toBe(-5);
    clock.advance(61_000);

    // A live call with two callers; one wrong PIN, then that phone is throttled.
    const conference = await createConference(server);
    const [first, second] = [await registerPerson(server, conference), await registerPerson(server, conference)];
    const bridge = bridgeClient(server);
    expect((await bridge.admit('+1 555 0100', first.PIN, '+15550000001')).admitted).toBe(true);
    expect((await bridge.admit('+1 555 0100', second.PIN, '+15550000002')).admitted).toBe(true);
    expect((await bridge.admit('+1 555 0100', '000000', '+15550000009')).admitted).toBe(false);
    expect((await bridge.admit('+1 555 0100', first.PIN, '+15550000009')).admitted).toBe(false);

    // One reminder sent by a pass of the job runner, then one confirmation left queued for 30 s.
    const customerUid = server.credentials.customer;
    await enqueueMail(services.store.db, services, {
      customerUid,
      kind: 'reminder-24h',
      message: message('a@example.com'),
    });
    const pass = await server.jobs!.runOnce();
    expect(pass.mail.sent).toBe(1);
    const passAt = clock.now();
    await enqueueMail(services.store.db, services, {
      customerUid,
      kind: 'confirmation',
      message: message('b@example.com'),
    });
    clock.advance(30_000);

    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const wrongToken = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}x` } });
    expect(wrongToken.status).toBe(401);
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const m = parseExposition(await response.text());

    const api = (fn: string, format: string, code: number) =>
      m.get(`baton_api_requests_total{function="${fn}",format="${format}",code="${code}"}`);
    expect(api('getCustomer', 'json', 0)).toBe(3);
    expect(api('getCustomer', 'xml', 0)).toBe(1);
    expect(api('getCustomer', 'json', -5)).toBe(3);
    expect(api('unknown', 'json', -2)).toBe(1);
    expect(api('createConferenceReservationless', 'json', 0)).toBe(1);
    expect(api('addPerson', 'json', 0)).toBe(2);
    expect(m.get('baton_api_request_duration_seconds_count{function="getCustomer"}')).toBe(7);
    expect(m.get('baton_api_request_duration_seconds_bucket{le="+Inf",function="getCustomer"}')).toBe(7);

    expect(m.get('baton_throttle_refusals_total{throttle="api-auth"}')).toBe(1);
    expect(m.get('baton_throttle_refusals_total{throttle="bridge-pin-ani"}')).toBe(1);
    expect(m.get('baton_http_requests_total{route="/bridge/v1/admit",status="200"}')).toBe(4);
    // The two 401s above were answered before this scrape.
    expect(m.get('baton_http_requests_total{route="/metrics",status="401"}')).toBe(2);

    expect(m.get('baton_database_up')).toBe(1);
    expect(m.get('baton_live_calls')).toBe(1);
    expect(m.get('baton_live_callers')).toBe(2);

    expect(m.get('baton_mail_sent_total')).toBe(1);
    expect(m.get('baton_reminders_sent_total')).toBe(1);
    expect(m.get('baton_mail_failed_attempts_total')).toBe(0);
    expect(m.get('baton_mail_queue_messages{state="queued"}')).toBe(1);
    expect(m.get('baton_mail_queue_messages{state="sending"}')).toBe(0);
    expect(m.get('baton_mail_queue_oldest_age_seconds{state="queued"}')).toBe(30);
    for (const job of ['reminders', 'invitation-updates', 'mail-delivery']) {
      expect(m.get(`baton_job_last_run_timestamp_seconds{job="${job}"}`), job).toBe(passAt / 1000);
    }
    if (services.store.dialect === 'postgres') {
      expect(m.has('baton_db_pool_connections{state="in_use"}')).toBe(true);
      // The scrape's own queries may be waiting for a connection at that moment: only the series is certain.
      expect(m.get('baton_db_pool_waiting_requests')).toBeGreaterThanOrEqual(0);
    }
  });

  it('with METRICS_PORT serves /metrics only on its own port, and there too asks for the token when one is set', async () => {
    server = await startTestServer({ metrics: true, config: { metricsPort: 0 } });
    metricsServer = await startMetricsServer({ ...server.services.config, metricsPort: 0 }, server.services.metrics!);
    expect((await server.call('getCustomer')).code).toBe(0);

    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    const scrape = await fetch(`${metricsServer.url}/metrics`);
    expect(scrape.status).toBe(200);
    const m = parseExposition(await scrape.text());
    expect(m.get('baton_api_requests_total{function="getCustomer",format="json",code="0"}')).toBe(1);
    await metricsServer.close();

    metricsServer = await startMetricsServer(
      { ...server.services.config, metricsPort: 0, metricsToken: token },
      server.services.metrics!,
    );
    expect((await fetch(`${metricsServer.url}/metrics`)).status).toBe(401);
    const authorised = await fetch(`${metricsServer.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(authorised.status).toBe(200);
  });

  it('is not served at all unless configured', async () => {
    server = await startTestServer();
    expect(server.services.metrics).toBeUndefined();
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(404);
  });
});

describe('/metrics while the database is away', () => {
  it('still answers, without the figures the database gives', async () => {
    const server = await startTestServer({ metrics: true, config: { metricsToken: token } });
    try {
      expect((await server.call('getCustomer')).code).toBe(0);
      await server.services.store.close();
      const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      const m = parseExposition(await response.text());
      expect(m.get('baton_api_requests_total{function="getCustomer",format="json",code="0"}')).toBe(1);
      expect(m.get('baton_database_up')).toBe(0);
      expect(m.has('baton_mail_queue_messages{state="queued"}')).toBe(false);
    } finally {
      await server.close().catch(() => undefined);
    }
  });
});
