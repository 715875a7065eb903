/**
 * The administration site in headless Chromium against a real listening
 * server (SQLite, and PostgreSQL with npm run test:pg): the whole journey of
 * a new user, with a screenshot of each page under test-artifacts/admin/ and
 * an axe-core accessibility check of each (no serious or critical violation).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { bridgeClient, testBridgeToken } from '../../../test/bridge.js';
import { launchBrowser, type TestBrowser } from '../../../test/browser.js';
import { runCli } from '../../../test/cli.js';
import { startTestServer, type TestServer } from '../../../test/harness.js';
import { parseCsv } from './csv.js';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const artifacts = new URL('../../../test-artifacts/admin/', import.meta.url);
const password = 'a long enough password';

let server: TestServer;
let browser: TestBrowser;
const did = '+1 555 0100';

beforeAll(async () => {
  server = await startTestServer({ config: { bridgeToken: testBridgeToken }, did });
  browser = await launchBrowser();
  mkdirSync(artifacts, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Saves a screenshot and fails on any serious or critical axe-core violation of the page. */
async function check(page: Page, name: string): Promise<void> {
  await page.screenshot({
    path: new URL(`${server.database.dialect}-${name}.png`, artifacts).pathname,
    fullPage: true,
  });
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return (result.violations as any[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n: any) => n.target.join(' ')).join(', ')})`);
  });
  expect(violations, name).toEqual([]);
}

/** On a phone-sized screen the page does not scroll sideways (wide tables scroll inside their box). */
async function checkPhone(page: Page, name: string): Promise<void> {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await page.screenshot({
      path: new URL(`${server.database.dialect}-${name}-phone.png`, artifacts).pathname,
      fullPage: true,
    });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} on a phone`).toBeLessThanOrEqual(1);
  } finally {
    if (size) await page.setViewportSize(size);
  }
}

describe('the administration site in a browser', () => {
  it('runs the whole journey: link, password, sign-in, reserved conference, registrants, import, export, calls, live, sign-out', async () => {
    const { customer } = server.credentials;
    // 1. An operator creates the user; the command prints a one-time link.
    const created = await runCli(['user', 'create', customer, '--email', 'owner@example.org', '--role', 'owner'], {
      DATABASE_URL: server.database.url,
      PUBLIC_URL: server.url,
    });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const link = /(http\S+\/admin\/password\?token=\S+)/.exec(created.stdout)![1]!;
    expect(created.stdout).not.toMatch(/scrypt/);

    const page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);

    // 2. The user sets a password from the link, then signs in.
    await page.goto(link);
    await check(page, 'set-password');
    await page.fill('#password', password);
    await page.fill('#confirm', password);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin\/sign-in\?done=password-set/);
    await check(page, 'sign-in');
    await page.fill('#email', 'owner@example.org');
    await page.fill('#password', password);
    await page.click('main button[type=submit]');
    await page.waitForURL(/\/admin\/conferences$/);
    await check(page, 'conferences');
    await checkPhone(page, 'conferences');

    // 3. A reserved conference with two reservations.
    await page.click('text=New conference');
    await page.fill('#name', 'Quarterly review');
    await page.check('input[name=kind][value=reserved]');
    await page.fill('#startDate1', '2026-01-15T18:00');
    await page.fill('#duration1', '60');
    await page.fill('#startDate2', '2026-01-16T18:00');
    await page.fill('#duration2', '90');
    await check(page, 'new-conference');
    await page.click('main button[type=submit]');
    await page.waitForURL(/\/admin\/conferences\/[A-Z0-9]{16}\?done=created$/);
    const uid = /conferences\/([A-Z0-9]{16})/.exec(page.url())![1]!;
    const reservations = await server.call('getConferenceData', { conferenceUID: uid });
    expect(reservations.value.reservation).toHaveLength(2);
    expect(
      await page.locator('#reservations ~ .table-wrap tbody tr, section:has(#reservations) tbody tr').count(),
    ).toBe(2);

    // 4. A registrant: the PIN shown is the one getConferenceData reports.
    await page.fill('#person-name', 'Ada Lovelace');
    await page.fill('#person-email', 'ada@example.org');
    await page.click('text=Add registrant');
    await page.waitForURL(/done=person-added/);
    const data = await server.call('getConferenceData', { conferenceUID: uid });
    const ada = data.value.person.find((p: any) => p.email === 'ada@example.org');
    expect((await page.locator(`[data-pin="${ada.UID}"]`).innerText()).trim()).toBe(ada.PIN);
    await check(page, 'conference');
    await checkPhone(page, 'conference');

    // 5. Import 200 rows, one of them bad: the preview names it, 199 are added.
    const lines = ['name,email,role'];
    for (let i = 1; i <= 200; i++)
      lines.push(i === 57 ? 'Bad Row,not-an-email,PARTICIPANT' : `Guest ${i},guest${i}@example.org,PARTICIPANT`);
    await page.click('text=Import CSV');
    await page.fill('#csv', lines.join('\n'));
    await page.click('text=Preview');
    await expect.poll(() => page.locator('#preview-summary').innerText()).toContain('199 row(s) ready, 1 with errors');
    expect(await page.locator('.import-errors').innerText()).toContain('Line 58: email is not a valid email address');
    await check(page, 'import-preview');
    await page.click('text=Import 199 registrant(s)');
    await expect
      .poll(() => page.locator('#import-result').innerText(), { timeout: 120_000 })
      .toContain('199 added, 1 not added');
    expect(await page.locator('.import-errors').innerText()).toContain('Line 58');

    // 6. Export: every registrant with a PIN.
    const exported = await page.request.get(`${server.url}/admin/conferences/${uid}/persons.csv`);
    const rows = parseCsv(await exported.text());
    expect(rows).toHaveLength(201);
    expect(rows.slice(1).every((r) => /^\d{6}$/.test(r[3]!))).toBe(true);

    // 7. A call through the bridge: Ada joins twice, Guest 1 once → three segments.
    const after = (await server.call('getConferenceData', { conferenceUID: uid })).value.person as any[];
    const pin = (email: string) => after.find((p) => p.email === email).PIN as string;
    // The first reservation starts an hour after the test's "now" (well inside the session's idle time).
    server.clock.set(Date.UTC(2026, 0, 15, 18, 0, 0));
    const bridge = bridgeClient(server);
    const a1 = await bridge.admit(did, pin('ada@example.org'));
    server.clock.advance(60_000);
    const g1 = await bridge.admit(did, pin('guest1@example.org'));
    server.clock.advance(5 * 60_000);
    await bridge.leave(a1.callerUID);
    server.clock.advance(2 * 60_000);
    const a2 = await bridge.admit(did, pin('ada@example.org'));
    server.clock.advance(10 * 60_000);
    await bridge.leave(a2.callerUID);
    await bridge.leave(g1.callerUID);
    await page.goto(`${server.url}/admin/conferences/${uid}`);
    await page.click(`a[href$="/calls/${a1.callUID}"]`);
    await page.waitForURL(new RegExp(`/calls/${a1.callUID}$`));
    expect(await page.locator('#attendance-chart rect.segment').count()).toBe(3);
    expect(await page.locator('#attendance-chart g').count()).toBe(2);
    expect(await page.locator('#attendance-summary').innerText()).toContain('2 of 200 registrants attended (1%)');
    await check(page, 'call');
    await checkPhone(page, 'call');

    // 8. Live: with the reseller values set, a caller joins while the page is open.
    await page.goto(`${server.url}/admin/conferences/${uid}`);
    for (const [key, value] of [
      ['RESELLER_INFO_TEXT', 'Book your next event'],
      ['RESELLER_INFO_URL', 'https://reseller.example/book'],
    ]) {
      await page.fill('#custom-key', key!);
      await page.fill('#custom-value', value!);
      await page.click('text=Set value');
      await page.waitForURL(/done=custom-saved/);
    }
    server.clock.advance(5 * 60_000);
    const b1 = await bridge.admit(did, pin('guest2@example.org'));
    await page.goto(`${server.url}/admin/conferences/${uid}/calls/${b1.callUID}`);
    expect(await page.locator('#reseller').innerText()).toBe('Book your next event');
    await expect.poll(() => page.locator('#live-count').innerText()).toBe('1');
    await page.evaluate(() => ((window as any).notReloaded = true));
    const b2 = await bridge.admit(did, pin('guest3@example.org'));
    await page.locator(`tr[data-caller="${b2.callerUID}"]`).waitFor();
    expect(await page.locator(`tr[data-caller="${b2.callerUID}"]`).innerText()).toContain('Guest 3');
    await expect.poll(() => page.locator('#live-count').innerText()).toBe('2');
    await bridge.leave(b2.callerUID);
    await page.locator(`tr.left[data-caller="${b2.callerUID}"]`).waitFor();
    expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true);
    await check(page, 'live-call');
    await bridge.leave(b1.callerUID);
    await expect.poll(() => page.locator('#live-state').innerText()).toContain('The call has ended');

    // 9. Account page, then sign out: the session no longer works.
    await page.goto(`${server.url}/admin/account`);
    await check(page, 'account');
    const session = (await browser.context.cookies(`${server.url}/admin/`)).find((c) => c.name === 'baton_admin')!;
    await page.click('header button[type=submit]');
    await page.waitForURL(/\/admin\/sign-in\?done=signed-out/);
    const replay = await fetch(`${server.url}/admin/conferences`, {
      headers: { cookie: `baton_admin=${session.value}` },
      redirect: 'manual',
    });
    expect(replay.status).toBe(303);
    await page.goto(`${server.url}/admin/conferences`);
    expect(page.url()).toContain('/admin/sign-in');
  }, 300_000);
});
