/**
 * The site's forms as a person uses them, in headless Chromium against a real
 * listening server: what a form shows is what it sends back, a refused form
 * keeps what was typed, and a refusal writes nothing.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../../../test/browser.js';
import { createAdminUser } from '../../../test/admin.js';
import { startTestServer, type Credentials, type TestServer } from '../../../test/harness.js';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server: TestServer;
let browser: TestBrowser;

/** The page's serious or critical axe-core violations. */
async function violations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return (result.violations as any[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n: any) => n.target.join(' ')).join(', ')})`);
  });
}

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

/** A person as getConferenceData reports them. */
async function personOf(as: Credentials, conference: string, person: string): Promise<any> {
  const data = (await server.call('getConferenceData', { conferenceUID: conference }, { as })).value;
  return data.person.find((p: any) => p.UID === person);
}

/** Submits the form whose action is `action` and waits for the answer's page. */
async function submit(page: Page, action: string): Promise<number> {
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === action),
    page.click(`form[action="${action}"] button[type=submit]`),
  ]);
  await page.waitForLoadState();
  return answer.status();
}

describe('a refused form keeps what was typed, and writes nothing', () => {
  it('the registrant form: a refused email keeps every field as typed and changes none of them', async () => {
    const { page, as } = await signedInOwner();
    try {
      const uid = (await server.call('createConferenceReservationless', { name: 'Edit' }, { as })).value.UID;
      const person = (
        await server.call('addPerson', { conference: uid, role: 'PARTICIPANT', name: 'Old name' }, { as })
      ).value;
      const path = `/admin/conferences/${uid}/persons/${person.UID}`;
      await page.goto(`${server.url}${path}`);
      await page.fill('#p-name', 'New name');
      await page.fill('#p-email', 'ann@localhost'); // the browser's email check takes it; the API's does not
      await page.fill('#p-notes', 'typed notes');
      await page.selectOption('#p-role', 'PRESENTER');
      expect(await submit(page, path)).toBe(422);
      await expect(page.locator('.notice.error').textContent()).resolves.toContain('not a valid email address');
      expect(await page.locator('#p-name').inputValue()).toBe('New name');
      expect(await page.locator('#p-email').inputValue()).toBe('ann@localhost');
      expect(await page.locator('#p-notes').inputValue()).toBe('typed notes');
      expect(await page.locator('#p-role').inputValue()).toBe('PRESENTER');
      const read = await personOf(as, uid, person.UID);
      expect(read).toMatchObject({ name: 'Old name', email: '', notes: '', role: 'PARTICIPANT' });
      // Corrected, the same form saves every field.
      await page.fill('#p-email', 'ann@example.org');
      expect(await submit(page, path)).toBe(303);
      expect(await personOf(as, uid, person.UID)).toMatchObject({
        name: 'New name',
        email: 'ann@example.org',
        notes: 'typed notes',
        role: 'PRESENTER',
      });
    } finally {
      await page.close();
    }
  });

  it('the conference page: add a registrant, a reservation, a custom value, the settings', async () => {
    const { page, as } = await signedInOwner();
    try {
      const uid = (
        await server.call(
          'createConferenceReserved',
          { name: 'Keep', reservationCount: 1, startDate1: '2026.02.01 10:00:00', duration1: 60 },
          { as },
        )
      ).value.UID;
      const base = `/admin/conferences/${uid}`;
      await page.goto(`${server.url}${base}`);

      await page.fill('#person-name', 'Ada');
      await page.fill('#person-email', 'ada@localhost');
      await page.selectOption('#person-role', 'PRESENTER');
      expect(await submit(page, `${base}/persons`)).toBe(422);
      expect(await page.locator('#person-name').inputValue()).toBe('Ada');
      expect(await page.locator('#person-email').inputValue()).toBe('ada@localhost');
      expect(await page.locator('#person-role').inputValue()).toBe('PRESENTER');

      await page.fill('#new-start', '2020-01-01T10:00'); // in the past
      await page.fill('#new-duration', '45');
      await page.fill('#new-callers', '12');
      expect(await submit(page, `${base}/reservations`)).toBe(422);
      expect(await page.locator('#new-start').inputValue()).toBe('2020-01-01T10:00');
      expect(await page.locator('#new-duration').inputValue()).toBe('45');
      expect(await page.locator('#new-callers').inputValue()).toBe('12');
      // The other forms show the server's values, not what this one sent.
      expect(await page.locator('#person-name').inputValue()).toBe('');

      await page.fill('#custom-key', 'MC_CONFIRMATION_PAGE');
      await page.fill('#custom-value', 'not a web address');
      expect(await submit(page, `${base}/custom`)).toBe(422);
      expect(await page.locator('#custom-key').inputValue()).toBe('MC_CONFIRMATION_PAGE');
      expect(await page.locator('#custom-value').inputValue()).toBe('not a web address');

      await page.fill('#field-contactEmail', 'host@localhost');
      await page.fill('#field-notes', 'notes typed with it');
      await page.check('form[action$="/settings"] input[name=reminder]');
      expect(await submit(page, `${base}/settings`)).toBe(422);
      expect(await page.locator('#field-contactEmail').inputValue()).toBe('host@localhost');
      expect(await page.locator('#field-notes').inputValue()).toBe('notes typed with it');
      expect(await page.locator('form[action$="/settings"] input[name=reminder]').isChecked()).toBe(true);

      const data = (await server.call('getConferenceData', { conferenceUID: uid }, { as })).value;
      expect(data.person).toEqual([]);
      expect(data.reservation).toHaveLength(1);
      expect(data.custom).toEqual([]);
      expect(data.notes).toBe('');
      expect(data.contactEmail).toBe('');
    } finally {
      await page.close();
    }
  });

  it('a reservation being moved: the refused row stays open with what was typed', async () => {
    const { page, as } = await signedInOwner();
    try {
      const created = await server.call(
        'createConferenceReserved',
        { name: 'Move', reservationCount: 1, startDate1: '2026.02.01 10:00:00', duration1: 60 },
        { as },
      );
      const uid = created.value.UID;
      const rid = (await server.call('getConferenceData', { conferenceUID: uid }, { as })).value.reservation[0].UID;
      const base = `/admin/conferences/${uid}`;
      await page.goto(`${server.url}${base}`);
      await page.click(`details:has(form[action="${base}/reservations/${rid}"]) summary`);
      await page.fill(`#start-${rid}`, '2020-03-01T09:00');
      await page.fill(`#duration-${rid}`, '90');
      expect(await submit(page, `${base}/reservations/${rid}`)).toBe(422);
      expect(await page.locator(`#start-${rid}`).isVisible()).toBe(true);
      expect(await page.locator(`#start-${rid}`).inputValue()).toBe('2020-03-01T09:00');
      expect(await page.locator(`#duration-${rid}`).inputValue()).toBe('90');
      const reservation = (await server.call('getConferenceData', { conferenceUID: uid }, { as })).value.reservation[0];
      expect(reservation.duration).toBe(60);
    } finally {
      await page.close();
    }
  });

  it('the Account page: settings, a webhook endpoint and a user', async () => {
    const { page, as } = await signedInOwner();
    try {
      await page.goto(`${server.url}/admin/account`);
      await page.fill('#field-contactEmail', 'boss@localhost');
      await page.fill('#field-affiliateCode', 'AFF-typed');
      await page.selectOption('#field-timeZone', 'Europe/Berlin');
      expect(await submit(page, '/admin/account')).toBe(422);
      expect(await page.locator('#field-contactEmail').inputValue()).toBe('boss@localhost');
      expect(await page.locator('#field-affiliateCode').inputValue()).toBe('AFF-typed');
      expect(await page.locator('#field-timeZone').inputValue()).toBe('Europe/Berlin');
      const customer = (await server.call('getCustomer', {}, { as })).value;
      expect(customer).toMatchObject({ contactEmail: '', affiliateCode: '', timeZone: 'UTC' });

      await page.fill('#webhook-url', 'http://127.0.0.1:9/hook'); // loopback: refused
      await page.fill('#webhook-events', 'person.registered');
      await page.fill('#webhook-description', 'CRM sync');
      expect(await submit(page, '/admin/account/webhooks')).toBe(422);
      expect(await page.locator('#webhook-url').inputValue()).toBe('http://127.0.0.1:9/hook');
      expect(await page.locator('#webhook-events').inputValue()).toBe('person.registered');
      expect(await page.locator('#webhook-description').inputValue()).toBe('CRM sync');
      expect((await server.call('getWebhooks', {}, { as })).value.webhook).toEqual([]);

      await page.fill('#user-email', 'new.user@localhost');
      await page.selectOption('#user-role', 'owner');
      expect(await submit(page, '/admin/account/users')).toBe(422);
      expect(await page.locator('#user-email').inputValue()).toBe('new.user@localhost');
      expect(await page.locator('#user-role').inputValue()).toBe('owner');
    } finally {
      await page.close();
    }
  });
});

describe('a form sent with one value refused', () => {
  it('writes none of the others (conference settings, account settings), over HTTP as any client sends it', async () => {
    const { page, as } = await signedInOwner();
    try {
      const uid = (await server.call('createConferenceReservationless', { name: 'Atomic' }, { as })).value.UID;
      await page.goto(`${server.url}/admin/conferences/${uid}`);
      const csrf = await page.locator('form[action$="/settings"] input[name=csrf]').inputValue();
      const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      const post = (path: string, form: Record<string, string>) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf, ...form }).toString(),
        });
      // registerText and recording come before notes in the form; notes is over its limit.
      const settings = await post(`/admin/conferences/${uid}/settings`, {
        registerText: 'written?',
        recording: 'true',
        notes: 'n'.repeat(8001),
      });
      expect(settings.status).toBe(422);
      const conference = (await server.call('getConference', { conferenceUID: uid }, { as })).value;
      expect(conference).toMatchObject({ registerText: '', recording: false, notes: '' });
      const account = await post('/admin/account', {
        affiliateCode: 'written?',
        reminder: 'true',
        timeZone: 'Mars/Base',
      });
      expect(account.status).toBe(422);
      expect((await server.call('getCustomer', {}, { as })).value).toMatchObject({
        affiliateCode: '',
        timeZone: 'UTC',
      });
    } finally {
      await page.close();
    }
  });
});

describe('the CSV import', () => {
  it('adds nobody twice: a second import of the file, a sent-again confirmation, a repeated row', async () => {
    const { page, as } = await signedInOwner();
    try {
      const uid = (await server.call('createConferenceReservationless', { name: 'Import' }, { as })).value.UID;
      await server.call('addPerson', { conference: uid, role: 'PARTICIPANT', email: 'Ann@Example.org' }, { as });
      const csv = [
        'name,email,role',
        'Ann,ann@example.org,PARTICIPANT',
        'Bob,bob@example.org,PARTICIPANT',
        'Bob again,BOB@example.org,PRESENTER',
        'Cy,cy@example.org,PARTICIPANT',
      ].join('\n');
      const base = `/admin/conferences/${uid}`;
      await page.goto(`${server.url}${base}/import`);
      await page.fill('#csv', csv);
      await page.click('text=Preview');
      await expect.poll(() => page.locator('#preview-summary').innerText()).toContain('2 row(s) ready, 2 with errors');
      const errors = await page.locator('.import-errors').innerText();
      expect(errors).toContain('Line 2: ann@example.org is registered for this conference already');
      expect(errors).toContain('Line 4: BOB@example.org is on line 3 already');
      await page.click('text=Import 2 registrant(s)');
      await expect.poll(() => page.locator('#import-result').innerText()).toContain('2 added, 2 not added');
      // The browser sends the confirmation again (reload after the POST): nobody is added twice.
      await page.reload();
      await expect.poll(() => page.locator('#import-result').innerText()).toContain('0 added, 4 not added');
      const persons = (await server.call('getConferenceData', { conferenceUID: uid }, { as })).value.person;
      expect(persons.map((p: any) => p.email).sort()).toEqual(['Ann@Example.org', 'bob@example.org', 'cy@example.org']);
    } finally {
      await page.close();
    }
  });
});

describe('a new reserved conference with a row that is not valid', () => {
  it('names the skipped row after creating the conference', async () => {
    const { page } = await signedInOwner();
    try {
      await page.goto(`${server.url}/admin/conferences/new`);
      await page.fill('#name', 'Partly');
      await page.check('input[name=kind][value=reserved]');
      await page.fill('#startDate1', '2026-02-01T10:00');
      await page.fill('#duration1', '60');
      await page.fill('#startDate2', '2020-02-01T10:00'); // in the past
      await page.fill('#duration2', '60');
      await Promise.all([page.waitForURL(/done=created-partly/), page.click('main button[type=submit]')]);
      const notice = await page.locator('.notice').first().innerText();
      expect(notice).toContain('reservation row 2 was not valid and skipped');
      expect(notice).not.toContain('row 1');
      // Only the form's row numbers are read from the address, never other text.
      const uid = /conferences\/([A-Z0-9]{16})/.exec(page.url())![1]!;
      await page.goto(`${server.url}/admin/conferences/${uid}?done=created-partly&skipped=%3Cb%3Ex%3C%2Fb%3E.99`);
      expect(await page.locator('.notice').first().innerText()).toBe(
        'Conference created; some reservation rows were not valid and were skipped.',
      );
    } finally {
      await page.close();
    }
  });
});

describe('accessibility of what these forms show', () => {
  it('the Account page with other users, and the refused pages, have no serious axe-core violation', async () => {
    const { page, as } = await signedInOwner();
    try {
      await createAdminUser(server, as.customer, { role: 'staff' });
      await page.goto(`${server.url}/admin/account`);
      // Each user's buttons: the visible text is in the accessible name (WCAG 2.5.3).
      expect(await violations(page)).toEqual([]);
      await page.fill('#field-contactEmail', 'boss@localhost');
      expect(await submit(page, '/admin/account')).toBe(422);
      expect(await violations(page)).toEqual([]);
      const uid = (await server.call('createConferenceReservationless', { name: 'Axe' }, { as })).value.UID;
      await page.goto(`${server.url}/admin/conferences/${uid}`);
      await page.fill('#person-email', 'ada@localhost');
      expect(await submit(page, `/admin/conferences/${uid}/persons`)).toBe(422);
      expect(await violations(page)).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
