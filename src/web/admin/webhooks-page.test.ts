/**
 * The webhooks section of the site's account page (owners only): add an
 * endpoint (its secret shown once, and it signs what is delivered), disable
 * and enable it, rotate its secret, remove it — through the same domain
 * functions as addWebhook/updateWebhook/removeWebhook, with their messages,
 * and for the signed-in customer only.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminUser, siteClient, type SiteClient } from '../../../test/admin.js';
import { launchBrowser } from '../../../test/browser.js';
import { createConference, startTestServer, type TestServer } from '../../../test/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/webhook-receiver.js';

let server: TestServer;
let receiver: WebhookReceiver;
let site: SiteClient;

beforeAll(async () => {
  server = await startTestServer({ jobs: true, config: { webhookAllowPrivate: true } });
  receiver = await startWebhookReceiver();
  const owner = await createAdminUser(server, server.credentials.customer, { role: 'owner' });
  site = siteClient(server);
  await site.signIn(owner.email, owner.password);
});
afterAll(async () => {
  await receiver?.stop();
  await server?.close();
});

const webhooks = async () => (await server.call('getWebhooks')).value.webhook as { UID: string; status: string }[];

describe('webhooks on the account page', () => {
  it('adds an endpoint whose secret, shown once, verifies the deliveries; disables, enables, rotates, removes', async () => {
    await site.get('/admin/account');
    const added = await site.post('/admin/account/webhooks', {
      url: receiver.url,
      eventTypes: 'conference.created, person.registered',
      description: 'CRM <sync>',
    });
    expect(added.status).toBe(200);
    const secret = /id="new-webhook-secret">(whsec_[A-Za-z0-9+/=]+)</.exec(added.text)?.[1];
    expect(secret).toMatch(/^whsec_/);
    expect(added.text).toContain('CRM &lt;sync>');
    expect(added.text).toContain('conference.created, person.registered');
    const [endpoint] = await webhooks();
    expect(endpoint!.status).toBe('enabled');
    // Shown once: the page afterwards does not hold it.
    expect((await site.get('/admin/account')).text).not.toContain(secret!);

    await createConference(server, { name: 'Hooked' });
    await server.jobs!.whenIdle();
    expect(receiver.deliveries.map((d) => d.event.type)).toEqual(['conference.created']);
    const delivery = receiver.deliveries[0]!;
    expect(() => new Webhook(secret!).verify(delivery.body, delivery.headers as Record<string, string>)).not.toThrow();

    const disabled = await site.post(`/admin/account/webhooks/${endpoint!.UID}/disable`);
    expect(disabled.status).toBe(303);
    expect(disabled.location).toBe('/admin/account?done=webhook-disabled');
    expect((await webhooks())[0]!.status).toBe('disabled');
    await site.get('/admin/account');
    expect((await site.post(`/admin/account/webhooks/${endpoint!.UID}/enable`)).status).toBe(303);
    expect((await webhooks())[0]!.status).toBe('enabled');

    await site.get('/admin/account');
    const rotated = await site.post(`/admin/account/webhooks/${endpoint!.UID}/rotate`);
    expect(rotated.status).toBe(200);
    const next = /id="new-webhook-secret">(whsec_[A-Za-z0-9+/=]+)</.exec(rotated.text)?.[1];
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(secret);
    await createConference(server, { name: 'Hooked again' });
    await server.jobs!.whenIdle();
    const second = receiver.deliveries[1]!;
    // For a day both secrets sign.
    for (const key of [next!, secret!]) {
      expect(() => new Webhook(key).verify(second.body, second.headers as Record<string, string>)).not.toThrow();
    }

    await site.get('/admin/account');
    const removed = await site.post(`/admin/account/webhooks/${endpoint!.UID}/remove`);
    expect(removed.location).toBe('/admin/account?done=webhook-removed');
    expect(await webhooks()).toEqual([]);
  });

  it('shows the API’s message for a bad URL or event type and adds nothing', async () => {
    await site.get('/admin/account');
    for (const [form, message] of [
      [{ url: 'ftp://example.org/hook' }, 'url must start http:// or https://'],
      [{ url: 'https://user:pw@example.org/hook' }, 'url must not carry a user name or password'],
      [{ url: receiver.url, eventTypes: 'person.exploded' }, 'unknown event type'],
      [{ url: receiver.url, description: 'd'.repeat(501) }, 'description must be at most 500 characters'],
    ] as const) {
      const answer = await site.post('/admin/account/webhooks', form);
      expect(answer.status, JSON.stringify(form)).toBe(422);
      expect(answer.text).toContain(message);
    }
    expect(await webhooks()).toEqual([]);
  });

  it('is for owners only, refuses a form without the CSRF token, and answers another customer’s endpoint as unknown', async () => {
    const endpoint = (await server.call('addWebhook', { url: receiver.url })).value as { UID: string };
    const staff = siteClient(server);
    const user = await createAdminUser(server, server.credentials.customer, { role: 'staff' });
    await staff.signIn(user.email, user.password);
    const page = await staff.get('/admin/account');
    expect(page.text).not.toContain('id="webhooks"');
    expect((await staff.post('/admin/account/webhooks', { url: receiver.url })).status).toBe(403);
    expect((await staff.post(`/admin/account/webhooks/${endpoint.UID}/remove`)).status).toBe(403);

    await site.get('/admin/account');
    expect((await site.post(`/admin/account/webhooks/${endpoint.UID}/disable`, {}, { csrf: null })).status).toBe(403);

    const other = await server.addCustomer({ name: 'Other customer' });
    const stranger = await createAdminUser(server, other.customer, { role: 'owner' });
    const outsider = siteClient(server);
    await outsider.signIn(stranger.email, stranger.password);
    await outsider.get('/admin/account');
    for (const path of ['disable', 'rotate', 'remove']) {
      const answer = await outsider.post(`/admin/account/webhooks/${endpoint.UID}/${path}`);
      expect(answer.status, path).toBe(422);
      expect(answer.text).toContain(`no webhook with UID ${endpoint.UID}`);
    }
    expect((await webhooks()).map((w) => [w.UID, w.status])).toEqual([[endpoint.UID, 'enabled']]);
  });

  it('in Chromium: an owner adds an endpoint, copies the secret shown once, disables, enables and removes it', async () => {
    const owner = await createAdminUser(server, server.credentials.customer, { role: 'owner' });
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      page.setDefaultTimeout(20_000);
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${server.url}/admin/account`);
      await page.fill('#email', owner.email);
      await page.fill('#password', owner.password);
      await page.click('main button[type=submit]');
      await page.waitForURL(/\/admin\/account$/);
      await page.fill('#webhook-url', receiver.url);
      await page.fill('#webhook-events', 'call.ended');
      await page.click('text=Add endpoint');
      await page.waitForURL(/\/admin\/account\/webhooks$/);
      expect(await page.locator('#new-webhook-secret').innerText()).toMatch(/^whsec_/);
      const row = page.locator('tr[data-webhook]').last();
      expect(await row.innerText()).toContain('call.ended');
      await row.getByRole('button', { name: /^Disable / }).click();
      await page.waitForURL(/done=webhook-disabled/);
      await page
        .locator('tr[data-webhook]')
        .last()
        .getByRole('button', { name: /^Enable / })
        .click();
      await page.waitForURL(/done=webhook-enabled/);
      await page
        .locator('tr[data-webhook]')
        .last()
        .getByRole('button', { name: /^Remove / })
        .click();
      await page.waitForURL(/done=webhook-removed/);
      expect(await page.locator('[role=status]').first().innerText()).toContain('Endpoint removed.');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
