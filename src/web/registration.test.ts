import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../../test/browser.js';
import { createConference, startTestServer, testEpoch, type TestServer } from '../../test/harness.js';
import { decodeMail } from '../../test/mime.js';
import { createConferenceAt } from '../../test/reservations.js';
import { startSmtpPeer, type SmtpPeer } from '../../test/smtp-peer.js';
import { listMail } from '../store/mail.repository.js';

const day = 86_400_000;
const hour = 3_600_000;

/** The person getConferenceData shows with this email. */
async function personByEmail(server: TestServer, conference: string, email: string) {
  const data = await server.call('getConferenceData', { conferenceUID: conference });
  expect(data.code).toBe(0);
  return (data.value.person as { email: string; PIN: string; UID: string; role: string }[]).filter(
    (p) => p.email.toLowerCase() === email.toLowerCase(),
  );
}

function pageUrl(server: TestServer, conference: string, query: Record<string, string> = {}): string {
  const search = new URLSearchParams(query).toString();
  return `${server.url}/conference/register/${conference}${search ? `?${search}` : ''}`;
}

describe('self-registration page with SMTP', () => {
  let smtp: SmtpPeer;
  let server: TestServer;
  let browser: TestBrowser;
  let conference: string;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer({
      jobs: true,
      timeZone: 'America/New_York',
      config: { smtpUrl: smtp.url, registrationLimit: 0, mailFrom: 'Acme Events <events@acme.example>' },
    });
    browser = await launchBrowser();
    ({ uid: conference } = await createConferenceAt(server, 'Quarterly all-hands', [
      { start: testEpoch + 2 * day, minutes: 60 },
      { start: testEpoch + 9 * day, minutes: 90 },
    ]));
    await server.call('updateConference', {
      conference,
      field: 'registerText',
      value: 'Join us for the quarterly review.\nBring your questions.',
    });
    await server.call('updateConference', {
      conference,
      field: 'regComment',
      value: 'Questions? Write to hr@acme.example',
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
  });

  it('in Chromium: fill the form, get redirected to the confirmation, and receive one email with the PIN getConferenceData shows', async () => {
    const before = smtp.received.length;
    const page = await browser.context.newPage();
    await page.goto(pageUrl(server, conference));
    expect(await page.title()).toBe('Register for Quarterly all-hands');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    // The schedule, in the customer's time zone (17:00 UTC is noon in New York in January).
    await expect
      .poll(() => page.locator('.schedule li').allTextContents())
      .toEqual([
        'Saturday, January 17, 2026, 12:00 PM EST – 1:00 PM EST',
        'Saturday, January 24, 2026, 12:00 PM EST – 1:30 PM EST',
      ]);
    expect(await page.getByText('Bring your questions.').count()).toBe(1);
    expect(await page.getByText('Questions? Write to hr@acme.example').count()).toBe(1);
    if (process.env.BATON_SCREENSHOT_DIR) {
      await page.screenshot({ path: join(process.env.BATON_SCREENSHOT_DIR, 'registration.png'), fullPage: true });
    }

    await page.getByLabel('Name').fill('Ann Lee');
    await page.getByLabel('Email address').fill('ann@example.org');
    await page.getByLabel('Custom field 1').fill('Sales');
    await page.getByLabel('Notes').fill('Vegetarian lunch, please');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.waitForURL(/\/confirmation\?person=/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Quarterly all-hands');
    const pinOnPage = await page.locator('#pin').textContent();
    if (process.env.BATON_SCREENSHOT_DIR) {
      await page.screenshot({ path: join(process.env.BATON_SCREENSHOT_DIR, 'confirmation.png'), fullPage: true });
    }
    await page.close();

    await server.jobs!.whenIdle();
    const persons = await personByEmail(server, conference, 'ann@example.org');
    expect(persons).toHaveLength(1);
    const person = persons[0]!;
    expect(person.role).toBe('PARTICIPANT');
    expect(pinOnPage).toBe(person.PIN);

    const mails = smtp.received.slice(before);
    expect(mails).toHaveLength(1);
    const { mail, to, from } = mails[0]!;
    expect(to).toEqual(['ann@example.org']);
    expect(from).toBe('events@acme.example');
    expect(mail.headers['x-baton-mail']).toBe('confirmation');
    expect(mail.subject).toBe('You are registered: Quarterly all-hands');
    expect(mail.text).toContain(`Your PIN: ${person.PIN}`);
    expect(mail.text).toContain('Dial-in number: +1 555 0100');
    expect(mail.text).toContain('Saturday, January 17, 2026, 12:00 PM EST – 1:00 PM EST');
    expect(mail.html).toContain(person.PIN);
    expect(mail.calendars).toHaveLength(1);
    const ics = mail.calendars[0]!;
    expect(ics).toContain('METHOD:REQUEST');
    expect(ics).toContain('DTSTART:20260117T170000Z');
    expect(ics).toContain('DTEND:20260117T180000Z');
    expect(ics).toContain('DTSTART:20260124T170000Z');
    expect(ics).toContain('SEQUENCE:0');
    expect(ics).toContain('mailto:ann@example.org');
    expect(ics.match(/BEGIN:VEVENT/g)).toHaveLength(2);
  });

  it('prefills the form from query parameters without registering when the email is missing', async () => {
    const page = await browser.context.newPage();
    await page.goto(pageUrl(server, conference, { name: 'Bo Chen', custom1: 'Team A', custom2: 'B', notes: 'hi' }));
    expect(await page.getByLabel('Name').inputValue()).toBe('Bo Chen');
    expect(await page.getByLabel('Custom field 1').inputValue()).toBe('Team A');
    expect(await page.getByLabel('Custom field 2').inputValue()).toBe('B');
    expect(await page.getByLabel('Notes').inputValue()).toBe('hi');
    expect(await page.getByLabel('Email address').inputValue()).toBe('');
    await page.close();
    expect(await personByEmail(server, conference, '')).toHaveLength(0);
  });

  it('registers at once when the query carries both name and email, and emails the PIN', async () => {
    const before = smtp.received.length;
    const response = await fetch(
      pageUrl(server, conference, { name: 'Cy Diaz', email: 'cy@example.org', custom2: 'vip' }),
      {
        redirect: 'manual',
      },
    );
    expect(response.status).toBe(303);
    const location = response.headers.get('location')!;
    expect(location).toMatch(/\/conference\/register\/[A-Z0-9]{16}\/confirmation\?person=/);
    await server.jobs!.whenIdle();
    const [person] = await personByEmail(server, conference, 'cy@example.org');
    const confirmation = await (await fetch(new URL(location, server.url))).text();
    expect(confirmation).toContain(person!.PIN);
    expect(smtp.received.slice(before)).toHaveLength(1);
    expect(smtp.received.at(-1)!.mail.text).toContain(`Your PIN: ${person!.PIN}`);
  });

  it('gives the same email its existing registration back: one person, one PIN, details emailed again', async () => {
    await fetch(pageUrl(server, conference, { name: 'Di Eve', email: 'di@example.org' }), { redirect: 'manual' });
    await server.jobs!.whenIdle();
    const [first] = await personByEmail(server, conference, 'di@example.org');
    const before = smtp.received.length;
    // Ten minutes later (a resend is not sooner), in another case, through the browser.
    server.clock.advance(11 * 60_000);
    const page = await browser.context.newPage();
    await page.goto(pageUrl(server, conference));
    await page.getByLabel('Name').fill('Di Eve');
    await page.getByLabel('Email address').fill('DI@Example.org');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.waitForURL(/existing=1/);
    const text = await page.locator('main').textContent();
    expect(text).toContain('already registered');
    expect(text).not.toContain(first!.PIN);
    await page.close();
    await server.jobs!.whenIdle();
    const persons = await personByEmail(server, conference, 'di@example.org');
    expect(persons).toHaveLength(1);
    expect(persons[0]!.PIN).toBe(first!.PIN);
    const again = smtp.received.slice(before);
    expect(again).toHaveLength(1);
    expect(again[0]!.mail.text).toContain(`Your PIN: ${first!.PIN}`);
  });

  it('shows validation errors tied to their fields and registers nobody', async () => {
    const page = await browser.context.newPage();
    await page.goto(pageUrl(server, conference));
    await page.getByLabel('Email address').fill('not-an-address');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Register' }).click(),
    ]);
    expect(response.status()).toBe(422);
    await page.waitForLoadState();
    expect(await page.title()).toMatch(/^Error: /);
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('Enter your name.');
    expect(await alert.textContent()).toContain('Enter an email address like name@example.com.');
    const email = page.getByLabel('Email address');
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    expect(await email.inputValue()).toBe('not-an-address');
    const describedBy = (await email.getAttribute('aria-describedby'))!.split(' ');
    const messages = await Promise.all(describedBy.map((id) => page.locator(`#${id}`).textContent()));
    expect(messages.join(' ')).toContain('Enter an email address like name@example.com.');
    // The summary links to the field.
    expect(await alert.getByRole('link', { name: 'Enter your name.' }).getAttribute('href')).toBe('#name');
    if (process.env.BATON_SCREENSHOT_DIR) {
      await page.screenshot({ path: join(process.env.BATON_SCREENSHOT_DIR, 'errors.png'), fullPage: true });
    }
    await page.close();
    expect(await personByEmail(server, conference, 'not-an-address')).toHaveLength(0);
  });

  it('renders a hostile conference name escaped, and no script runs', async () => {
    const name = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">"'&`;
    const hostile = await createConference(server, { name });
    const html = await (await fetch(pageUrl(server, hostile))).text();
    expect(html).not.toContain('<script>window');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;window.pwned=1&lt;/script&gt;');
    const page = await browser.context.newPage();
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.goto(pageUrl(server, hostile));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(name);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(dialogs).toBe(0);
    await page.close();
  });

  it('refuses a POST whose CSRF token is missing, forged, or from another conference', async () => {
    const other = await createConference(server, { name: 'Other' });
    const first = await fetch(pageUrl(server, conference));
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const token = /name="csrf" value="([^"]+)"/.exec(await first.text())![1]!;
    const post = (target: string, fields: Record<string, string>, withCookie = true) =>
      fetch(pageUrl(server, target), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(withCookie ? { cookie } : {}) },
        body: new URLSearchParams({ name: 'Eve', email: 'eve@example.org', ...fields }).toString(),
      });
    const missing = await post(conference, {});
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('This form has expired or did not come from this site');
    const forged = await post(conference, {
      csrf: `${server.clock.now()}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
    });
    expect(forged.status).toBe(403);
    expect((await post(conference, { csrf: token }, false)).status).toBe(403);
    expect((await post(other, { csrf: token })).status).toBe(403);
    expect(await personByEmail(server, conference, 'eve@example.org')).toHaveLength(0);
    // The genuine token with its cookie goes through.
    expect((await post(conference, { csrf: token })).status).toBe(303);
    expect(await personByEmail(server, conference, 'eve@example.org')).toHaveLength(1);
  });

  it('redirects to the confirmation parameter, else MC_CONFIRMATION_PAGE, else the built-in page', async () => {
    const target = await createConference(server, { name: 'Redirects' });
    const register = async (email: string, query: Record<string, string> = {}) => {
      const response = await fetch(pageUrl(server, target, { name: 'R', email, ...query }), { redirect: 'manual' });
      expect(response.status).toBe(303);
      return response.headers.get('location')!;
    };
    expect(await register('r1@example.org')).toMatch(/\/confirmation\?person=/);
    const set = await server.call('updateCustomValue', {
      objectType: 'conference',
      objectUID: target,
      customKey: 'MC_CONFIRMATION_PAGE',
      customValue: 'https://acme.example/thanks',
    });
    expect(set.code).toBe(0);
    expect(await register('r2@example.org')).toBe('https://acme.example/thanks');
    expect(await register('r3@example.org', { confirmation: 'https://partner.example/welcome?x=1' })).toBe(
      'https://partner.example/welcome?x=1',
    );
    // Only http(s) targets are followed.
    expect(await register('r4@example.org', { confirmation: 'javascript:alert(1)' })).toBe(
      'https://acme.example/thanks',
    );
  });

  it('redirects to an MC_CONFIRMATION_PAGE with characters a header cannot carry as its serialized URL', async () => {
    const target = await createConference(server, { name: 'Wide redirect' });
    const set = await server.call('updateCustomValue', {
      objectType: 'conference',
      objectUID: target,
      customKey: 'MC_CONFIRMATION_PAGE',
      customValue: 'https://acme.example/danke-schön/感谢',
    });
    expect(set.code).toBe(0);
    const response = await fetch(pageUrl(server, target, { name: 'W', email: 'w1@example.org' }), {
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('https://acme.example/danke-sch%C3%B6n/%E6%84%9F%E8%B0%A2');
  });

  it('refuses a name with a line break (a one-line field) and registers nobody', async () => {
    const target = await createConference(server, { name: 'One line' });
    const response = await fetch(
      pageUrl(server, target, { name: 'Mallory\r\nBcc: victim@example.org', email: 'mallory@example.org' }),
      { redirect: 'manual' },
    );
    expect(response.status).toBe(422);
    expect(await response.text()).toContain('Your name cannot contain line breaks');
    expect(await personByEmail(server, target, 'mallory@example.org')).toHaveLength(0);
    // Other line breaks and controls, a bidi override or isolate (shows the name reversed).
    for (const name of ['Mal\u2028lory', 'Mal\u0085lory', 'Mal\u202elory', 'Mal\u2066lory']) {
      const refused = await fetch(pageUrl(server, target, { name, email: 'mallory@example.org' }), {
        redirect: 'manual',
      });
      expect(refused.status, JSON.stringify(name)).toBe(422);
      expect(await refused.text()).toContain('Your name cannot contain line breaks');
    }
    expect(await personByEmail(server, target, 'mallory@example.org')).toHaveLength(0);
    // A zero-width non-joiner is part of how some names are written: taken.
    const persian = await fetch(pageUrl(server, target, { name: 'Mehr\u200cdad', email: 'mehrdad@example.org' }), {
      redirect: 'manual',
    });
    expect(persian.status).toBe(303);
  });

  it('refuses an address a mail server would refuse (a control character, two dots) here and in addPerson', async () => {
    const target = await createConference(server, { name: 'Addresses' });
    for (const email of ['ann\u0001@example.org', 'ann@example..org', 'ann.@example.org', 'ann@-example.org']) {
      const response = await fetch(pageUrl(server, target, { name: 'Ann', email }), { redirect: 'manual' });
      expect(response.status, email).toBe(422);
      expect(await response.text()).toContain('Enter an email address like name@example.com.');
      expect(await personByEmail(server, target, email)).toHaveLength(0);
      const added = await server.call('addPerson', { conference: target, role: 'PARTICIPANT', name: 'Ann', email });
      expect(added.code, email).toBe(-2);
    }
  });

  it('refuses the registered address again with an invisible character in it: no second PIN, no second mail', async () => {
    const target = await createConference(server, { name: 'Invisible' });
    await fetch(pageUrl(server, target, { name: 'Bo', email: 'bo@example.org' }), { redirect: 'manual' });
    await server.jobs!.whenIdle();
    const before = smtp.received.length;
    for (const email of [
      'bo\u200b@example.org',
      'bo\u202e@example.org',
      'bo\u00ad@example.org',
      'bo\u0085@example.org',
    ]) {
      const response = await fetch(pageUrl(server, target, { name: 'Bo', email }), { redirect: 'manual' });
      expect(response.status, JSON.stringify(email)).toBe(422);
      expect(await response.text()).toContain('Enter an email address like name@example.com.');
      const added = await server.call('addPerson', { conference: target, role: 'PARTICIPANT', name: 'Bo', email });
      expect(added.code, JSON.stringify(email)).toBe(-2);
    }
    await server.jobs!.whenIdle();
    const data = await server.call('getConferenceData', { conferenceUID: target });
    expect(data.value.person).toHaveLength(1);
    expect(smtp.received.length).toBe(before);
  });

  it('shows a clear closed page for canceled and ended conferences, and a not-found page', async () => {
    const canceled = await createConference(server, { name: 'Gone' });
    await server.call('cancelConference', { conference: canceled });
    const response = await fetch(pageUrl(server, canceled, { name: 'X', email: 'x@example.org' }), {
      redirect: 'manual',
    });
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('This conference has been canceled, so registration is closed.');
    expect(await personByEmail(server, canceled, 'x@example.org')).toHaveLength(0);

    const now = server.clock.now();
    const { uid: ended } = await createConferenceAt(server, 'Past', [{ start: now + hour, minutes: 60 }]);
    // Three hours on, its only reservation is over.
    server.clock.set(now + 3 * hour);
    try {
      const page = await browser.context.newPage();
      const answer = await page.goto(pageUrl(server, ended));
      expect(answer!.status()).toBe(410);
      expect(await page.getByRole('status').textContent()).toBe(
        'This conference has ended, so registration is closed.',
      );
      expect(await page.getByRole('button', { name: 'Register' }).count()).toBe(0);
      await page.close();
    } finally {
      server.clock.set(now);
    }

    expect((await fetch(pageUrl(server, 'NOSUCHCONFERENCE'))).status).toBe(404);
  });

  it('sends no email for a person added through the API (spec)', async () => {
    // Whatever earlier tests left queued goes out first; then nothing may reach the API's person.
    await server.jobs!.runOnce(server.clock.now());
    const added = await server.call('addPerson', { conference, role: 'PARTICIPANT', email: 'api@example.org' });
    expect(added.code).toBe(0);
    await server.jobs!.runOnce(server.clock.now());
    expect(smtp.received.filter((mail) => mail.to.includes('api@example.org'))).toEqual([]);
    expect(
      await listMail(server.services.store.db, server.credentials.customer, { recipient: 'api@example.org' }),
    ).toEqual([]);
  });
});

describe('self-registration rate limit', () => {
  it('refuses registrations past the limit per address with 429 and Retry-After', async () => {
    const server = await startTestServer({ config: { registrationLimit: 2 } });
    try {
      const conference = await createConference(server);
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        const r = await fetch(pageUrl(server, conference, { name: `P${i}`, email: `p${i}@example.org` }), {
          redirect: 'manual',
        });
        statuses.push(r.status);
        if (r.status === 429) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect(statuses).toEqual([303, 303, 429]);
      // A minute later the address may register again.
      server.clock.advance(61_000);
      const later = await fetch(pageUrl(server, conference, { name: 'P9', email: 'p9@example.org' }), {
        redirect: 'manual',
      });
      expect(later.status).toBe(303);
    } finally {
      await server.close();
    }
  });
});

describe('self-registration without SMTP_URL', () => {
  it('leaves readable .eml files in the outbox folder', async () => {
    const outbox = mkdtempSync(join(tmpdir(), 'baton-outbox-'));
    const server = await startTestServer({ jobs: true, config: { mailOutboxDir: outbox, registrationLimit: 0 } });
    const browser = await launchBrowser();
    try {
      const { uid: conference } = await createConferenceAt(server, 'Outbox check', [
        { start: testEpoch + day, minutes: 30 },
      ]);
      const page = await browser.context.newPage();
      await page.goto(pageUrl(server, conference));
      await page.getByLabel('Name').fill('Fay Gil');
      await page.getByLabel('Email address').fill('fay@example.org');
      await page.getByRole('button', { name: 'Register' }).click();
      await page.waitForURL(/\/confirmation\?person=/);
      await page.close();
      await server.jobs!.whenIdle();

      const files = readdirSync(outbox);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^\d{8}T\d{6}Z-[A-Z0-9]{16}\.eml$/);
      const raw = readFileSync(join(outbox, files[0]!), 'utf8');
      // Readable as it is: plain headers, quoted-printable text.
      expect(raw).toMatch(/^To: fay@example\.org\r?$/m);
      expect(raw).toMatch(/^Subject: You are registered: Outbox check\r?$/m);
      const [person] = await personByEmail(server, conference, 'fay@example.org');
      expect(raw).toContain(`Your PIN: ${person!.PIN}`);
      const mail = decodeMail(raw);
      expect(mail.text).toContain(`Your PIN: ${person!.PIN}`);
      expect(mail.calendars[0]).toContain('METHOD:REQUEST');
      const [row] = await listMail(server.services.store.db, server.credentials.customer, {
        recipient: 'fay@example.org',
      });
      expect(row).toMatchObject({ status: 'sent', attempts: 1, kind: 'confirmation' });
    } finally {
      await browser.close();
      await server.close();
      rmSync(outbox, { recursive: true, force: true });
    }
  });
});
