/**
 * The site's forms as a person uses them, in headless Chromium against a real
 * listening server: what a form shows is what it sends back, a refused form
 * keeps what was typed, and a refusal writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../../../test/browser.js';
import { createAdminUser } from '../../../test/admin.js';
import { startTestServer, type Credentials, type TestServer } from '../../../test/harness.js';

let server: TestServer;
let browser: TestBrowser;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A new customer with an owner signed in on a fresh page. */
async function signedInOwner(): Promise<{ page: Page; as: Credentials }> {
  const as = await server.addCustomer({ name: `Forms ${Math.random().toString(36).slice(2, 8)}` });
  const user = await createAdminUser(server, as.customer, { role: 'owner' });
  const page = await browser.context.newPage();
  await page.context().clearCookies();
  await page.goto(`${server.url}/admin/sign-in`);
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await Promise.all([page.waitForURL(/\/admin\/conferences/), page.click('button[type=submit]')]);
  return { page, as };
}

describe('the Account form', () => {
  it('shows a time zone stored under its current IANA name as chosen, and saving the form keeps it', async () => {
    const { page, as } = await signedInOwner();
    try {
      for (const zone of ['Asia/Kolkata', 'Europe/Kyiv', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) {
        expect((await server.call('updateCustomer', { field: 'timeZone', value: zone }, { as })).code).toBe(0);
        await page.goto(`${server.url}/admin/account`);
        expect(await page.locator('#field-timeZone').inputValue(), zone).toBe(zone);
        await page.fill('#field-affiliateCode', `kept ${zone}`);
        await Promise.all([
          page.waitForURL(/done=saved/),
          page.click('form[action="/admin/account"] button[type=submit]'),
        ]);
        const customer = (await server.call('getCustomer', {}, { as })).value;
        expect(customer.timeZone).toBe(zone);
        expect(customer.affiliateCode).toBe(`kept ${zone}`);
      }
      // One name for each zone: the runtime's older names are not offered beside the current ones.
      const options = await page.locator('#field-timeZone option').allTextContents();
      expect(options).toContain('Asia/Kolkata');
      expect(options).not.toContain('Asia/Calcutta');
      expect(new Set(options).size).toBe(options.length);
    } finally {
      await page.close();
    }
  });
});
