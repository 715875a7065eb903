/**
 * The administration site over real HTTP (SQLite, and PostgreSQL with
 * npm run test:pg): sign-in and sessions, CSRF, tenancy, escaping, the same
 * rules as the API, and that no password hash ever leaves the server.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { createConference, startTestServer, type TestServer } from '../../../test/harness.js';
import { createAdminUser, siteClient, testPassword } from '../../../test/admin.js';
import { createUser, sessionIdleMs } from '../../domain/users.js';
import { listMail } from '../../store/mail.repository.js';
import { parseCsv } from './csv.js';
import { reservationParams } from '../../../test/reservations.js';
import { parseTrustProxy, type TrustProxy } from '../../protocol/client-address.js';

let server: TestServer;
let owner: { email: string; password: string; uid: string };

beforeAll(async () => {
  server = await startTestServer();
  owner = await createAdminUser(server, server.credentials.customer, { role: 'owner' });
});
afterAll(async () => {
  await server?.close();
});

describe('sign-in and sessions', () => {
  it('sends a signed-out browser to the sign-in page', async () => {
    const answer = await siteClient(server).get('/admin/conferences');
    expect(answer.status).toBe(303);
    expect(answer.location).toBe('/admin/sign-in?next=%2Fadmin%2Fconferences');
  });

  it('signs in with the right password and sets a HttpOnly, SameSite=Lax session cookie scoped to /admin', async () => {
    const site = siteClient(server);
    await site.get('/admin/sign-in');
    const answer = await site.post('/admin/sign-in', { email: owner.email.toUpperCase(), password: owner.password });
    expect(answer.status).toBe(303);
    expect(answer.location).toBe('/admin/conferences');
    const cookie = answer.headers.getSetCookie().find((c) => c.startsWith('baton_admin='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\/admin/);
    expect(cookie).not.toMatch(/Secure/); // PUBLIC_URL is http here
    expect((await site.get('/admin/conferences')).status).toBe(200);
  });

  it('marks the session cookie Secure when PUBLIC_URL is https', async () => {
    const secure = await startTestServer({ config: { publicUrl: 'https://baton.example.org' } });
    try {
      const user = await createAdminUser(secure, secure.credentials.customer);
      const answer = await siteClient(secure).signIn(user.email, user.password);
      const cookie = answer.headers.getSetCookie().find((c) => c.startsWith('baton_admin='))!;
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/HttpOnly/);
    } finally {
      await secure.close();
    }
  });

  it('marks the cookies Secure when a proxy TRUST_PROXY trusts says the request came over https', async () => {
    const proxied = await startTestServer({ config: { trustProxy: parseTrustProxy('1') as TrustProxy } });
    try {
      const user = await createAdminUser(proxied, proxied.credentials.customer);
      const tls = siteClient(proxied, { headers: { 'x-forwarded-for': '198.51.100.3', 'x-forwarded-proto': 'https' } });
      const answer = await tls.signIn(user.email, user.password);
      expect(answer.status).toBe(303);
      const cookies = answer.headers.getSetCookie();
      expect(cookies.find((c) => c.startsWith('baton_admin='))).toMatch(/; Secure/);
      expect(cookies.find((c) => c.startsWith('baton_admin_device='))).toMatch(/; Secure/);
      const uid = await createConference(proxied, { name: 'Secure form' });
      const page = await fetch(`${proxied.url}/conference/register/${uid}`, {
        headers: { 'x-forwarded-for': '198.51.100.3', 'x-forwarded-proto': 'https' },
      });
      expect(page.headers.getSetCookie().find((c) => c.startsWith('baton_csrf='))).toMatch(/; Secure/);
      // Without TRUST_PROXY the header is a client's word, and changes nothing.
      const direct = siteClient(server, { headers: { 'x-forwarded-proto': 'https' } });
      const plain = await direct.signIn(owner.email, owner.password);
      expect(plain.headers.getSetCookie().find((c) => c.startsWith('baton_admin='))).not.toMatch(/Secure/);
    } finally {
      await proxied.close();
    }
  });

  it('refuses a wrong password with one message for a wrong address or password', async () => {
    const site = siteClient(server);
    const wrong = await site.signIn(owner.email, 'not the password');
    const unknown = await site.signIn('nobody@example.org', 'not the password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.text).toContain('wrong email address or password');
    expect(unknown.text).toContain('wrong email address or password');
    expect(site.cookies.has('baton_admin')).toBe(false);
  });

  it('rotates the session on sign-in: the browser’s old session stops working', async () => {
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    const first = site.cookies.get('baton_admin')!;
    await site.signIn(owner.email, owner.password);
    const second = site.cookies.get('baton_admin')!;
    expect(second).not.toBe(first);
    const old = siteClient(server);
    old.cookies.set('baton_admin', first);
    expect((await old.get('/admin/conferences')).status).toBe(303);
    expect((await site.get('/admin/conferences')).status).toBe(200);
  });

  it('ends a session after the idle time', async () => {
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    expect((await site.get('/admin/account')).status).toBe(200);
    server.clock.advance(sessionIdleMs + 1000);
    try {
      expect((await site.get('/admin/account')).status).toBe(303);
    } finally {
      server.clock.advance(-(sessionIdleMs + 1000));
    }
  });

  it('throttles repeated failed sign-ins for an account with 429 and Retry-After', async () => {
    const victim = await createAdminUser(server, server.credentials.customer, { role: 'staff' });
    const site = siteClient(server);
    let last;
    for (let i = 0; i < 11; i++) last = await site.signIn(victim.email, 'wrong password!');
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right password waits out the minute.
    expect((await site.signIn(victim.email, victim.password)).status).toBe(429);
  });

  it('does not let failures from one address keep the account out for another address', async () => {
    const proxied = await startTestServer({ config: { trustProxy: parseTrustProxy('1') as TrustProxy } });
    try {
      const victim = await createAdminUser(proxied, proxied.credentials.customer, { role: 'staff' });
      const attacker = siteClient(proxied, { headers: { 'x-forwarded-for': '203.0.113.66' } });
      let last;
      for (let i = 0; i < 11; i++) last = await attacker.signIn(victim.email, 'wrong password!');
      expect(last!.status).toBe(429);
      // The victim, on a browser that never signed in, from their own address: in.
      const fresh = siteClient(proxied, { headers: { 'x-forwarded-for': '198.51.100.20' } });
      expect((await fresh.signIn(victim.email, victim.password)).status).toBe(303);
      // The attacker's address still waits, even with the right password.
      expect((await attacker.signIn(victim.email, victim.password)).status).toBe(429);
    } finally {
      await proxied.close();
    }
  });

  it('holds back guessing from many addresses, but not a browser that signed in to the account before', async () => {
    const proxied = await startTestServer({ config: { trustProxy: parseTrustProxy('1') as TrustProxy } });
    try {
      const victim = await createAdminUser(proxied, proxied.credentials.customer, { role: 'staff' });
      const own = siteClient(proxied, { headers: { 'x-forwarded-for': '198.51.100.20' } });
      const first = await own.signIn(victim.email, victim.password);
      const device = first.headers.getSetCookie().find((c) => c.startsWith('baton_admin_device='))!;
      expect(device).toMatch(/HttpOnly/);
      expect(device).toMatch(/SameSite=Strict/);
      expect(device).toMatch(/Max-Age=\d+/);
      // 50 failures from 10 addresses (5 each, under the per-address limit).
      for (let i = 0; i < 50; i++) {
        const bot = siteClient(proxied, { headers: { 'x-forwarded-for': `203.0.113.${i % 10}` } });
        await bot.signIn(victim.email, 'wrong password!');
      }
      // A new address with the right password but an unknown browser waits out the 15 minutes ...
      const stranger = siteClient(proxied, { headers: { 'x-forwarded-for': '192.0.2.44' } });
      const refused = await stranger.signIn(victim.email, victim.password);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(60);
      // ... the victim's own browser does not, even from yet another address.
      const travelling = siteClient(proxied, { headers: { 'x-forwarded-for': '192.0.2.45' } });
      travelling.cookies.set('baton_admin_device', own.cookies.get('baton_admin_device')!);
      expect((await travelling.signIn(victim.email, victim.password)).status).toBe(303);
      // A forged device cookie is an unknown browser.
      const forger = siteClient(proxied, { headers: { 'x-forwarded-for': '192.0.2.46' } });
      forger.cookies.set('baton_admin_device', `${Date.now()}.${'A'.repeat(43)}`);
      expect((await forger.signIn(victim.email, victim.password)).status).toBe(429);
      // Another account's device cookie does not count for this one.
      const other = await createAdminUser(proxied, proxied.credentials.customer, { role: 'staff' });
      const otherBrowser = siteClient(proxied, { headers: { 'x-forwarded-for': '192.0.2.47' } });
      await otherBrowser.signIn(other.email, other.password);
      expect((await otherBrowser.signIn(victim.email, victim.password)).status).toBe(429);
      // A known browser has its own limit: ten failures and it waits too.
      let last;
      for (let i = 0; i < 11; i++) last = await travelling.signIn(victim.email, 'wrong password!');
      expect(last!.status).toBe(429);
    } finally {
      await proxied.close();
    }
  });

  it.each([
    ['/admin/account\r\nSet-Cookie: x=1'],
    ['/admin/account\u2028'],
    ['/admin/caf\u00e9'],
    ['/admin/a b'],
    ['//evil.example/admin/x'],
    ['/admin//evil.example'],
    ['/admin/\\evil.example'],
    ['https://evil.example/admin/x'],
  ])('after sign-in, a next of %j goes to the conferences, never a 500 or another site', async (next) => {
    const site = siteClient(server);
    await site.get('/admin/sign-in');
    const answer = await site.post('/admin/sign-in', { email: owner.email, password: owner.password, next });
    expect(answer.status).toBe(303);
    expect(answer.location).toBe('/admin/conferences');
  });

  it('a one-time link sets a password once; a used link answers 410', async () => {
    const { link } = await createUser(server.services, {
      customerUid: server.credentials.customer,
      email: 'link-user@example.org',
      role: 'staff',
    });
    const path = new URL(link).pathname + new URL(link).search;
    const site = siteClient(server);
    const form = await site.get(path);
    expect(form.status).toBe(200);
    expect(form.text).toContain('link-user@example.org');
    const token = new URL(link).searchParams.get('token')!;
    const mismatch = await site.post('/admin/password', {
      token,
      password: testPassword,
      confirm: 'other password 123',
    });
    expect(mismatch.status).toBe(422);
    const short = await site.post('/admin/password', { token, password: 'short', confirm: 'short' });
    expect(short.text).toContain('password must be at least 10 characters');
    const done = await site.post('/admin/password', { token, password: testPassword, confirm: testPassword });
    expect(done.status).toBe(303);
    // The link proved the mailbox: this browser is known to the account (the sign-in throttle).
    expect(done.headers.getSetCookie().some((c) => c.startsWith('baton_admin_device='))).toBe(true);
    expect((await site.get(path)).status).toBe(410);
    expect((await site.signIn('link-user@example.org', testPassword)).status).toBe(303);
  });

  it('resets a password through a link queued in the mail queue; an unknown address queues nothing', async () => {
    const user = await createAdminUser(server, server.credentials.customer, { role: 'staff' });
    const site = siteClient(server);
    await site.get('/admin/reset');
    const answer = await site.post('/admin/reset', { email: user.email });
    expect(answer.status).toBe(200);
    await site.get('/admin/reset');
    const unknown = await site.post('/admin/reset', { email: 'nobody-at-all@example.org' });
    // The same answer either way: the page does not tell who has an account.
    expect(unknown.text).toBe(
      answer.text.replace(/name="csrf" value="[^"]+"/, /name="csrf" value="[^"]+"/.exec(unknown.text)![0]),
    );
    const mails = await listMail(server.services.store.db, server.credentials.customer, { kind: 'password-reset' });
    const mine = mails.filter((m) => m.recipient === user.email);
    expect(mine).toHaveLength(1);
    expect(mails.some((m) => m.recipient === 'nobody-at-all@example.org')).toBe(false);
    const text = (JSON.parse(mine[0]!.message) as { text: string }).text;
    const link = new URL(/(http\S+\/admin\/password\?token=\S+)/.exec(text)![1]!);
    const other = siteClient(server);
    await other.signIn(user.email, user.password);
    await site.get(link.pathname + link.search);
    const set = await site.post('/admin/password', {
      token: link.searchParams.get('token')!,
      password: 'the new password 42',
      confirm: 'the new password 42',
    });
    expect(set.status).toBe(303);
    expect((await other.get('/admin/conferences')).status).toBe(303); // old sessions revoked
    expect((await site.signIn(user.email, user.password)).status).toBe(401);
    expect((await site.signIn(user.email, 'the new password 42')).status).toBe(303);
  });

  it('setting or changing the password uses up every other link to the account (an earlier reset)', async () => {
    const user = await createAdminUser(server, server.credentials.customer, { role: 'staff' });
    const seen = new Set<string>();
    /** Asks for a reset; returns the path of the link it mailed. */
    const resetLink = async () => {
      const site = siteClient(server);
      await site.get('/admin/reset');
      expect((await site.post('/admin/reset', { email: user.email })).status).toBe(200);
      const mails = await listMail(server.services.store.db, server.credentials.customer, { kind: 'password-reset' });
      const paths = mails
        .filter((m) => m.recipient === user.email)
        .map((m) => (JSON.parse(m.message) as { text: string }).text)
        .map((text) => new URL(/(http\S+\/admin\/password\?token=\S+)/.exec(text)![1]!))
        .map((link) => link.pathname + link.search)
        .filter((path) => !seen.has(path));
      expect(paths).toHaveLength(1);
      seen.add(paths[0]!);
      return paths[0]!;
    };
    const setFrom = async (path: string, password: string) => {
      const site = siteClient(server);
      const page = await site.get(path);
      if (page.status !== 200) return page.status;
      const token = new URLSearchParams(path.split('?')[1]).get('token')!;
      return (await site.post('/admin/password', { token, password, confirm: password })).status;
    };
    // Two resets asked for; the second is used: the first no longer works.
    const first = await resetLink();
    const second = await resetLink();
    expect(await setFrom(second, 'the second password 42')).toBe(303);
    expect(await setFrom(first, 'an attacker password 1')).toBe(410);
    // A reset asked for, then the password changed on the account page: the mailed link cannot undo it.
    const stale = await resetLink();
    const site = siteClient(server);
    await site.signIn(user.email, 'the second password 42');
    await site.get('/admin/account');
    const changed = await site.post('/admin/account/password', {
      current: 'the second password 42',
      next: 'the third password 42',
    });
    expect(changed.status).toBe(303);
    expect(await setFrom(stale, 'an attacker password 2')).toBe(410);
    expect((await siteClient(server).signIn(user.email, 'the third password 42')).status).toBe(303);
  });

  it('signing out revokes the session on the server, not only in the browser', async () => {
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    const token = site.cookies.get('baton_admin')!;
    await site.get('/admin/conferences');
    const out = await site.post('/admin/sign-out');
    expect(out.status).toBe(303);
    const replay = siteClient(server);
    replay.cookies.set('baton_admin', token);
    expect((await replay.get('/admin/conferences')).status).toBe(303);
  });

  it('throttles guessing the current password on the password form like failed sign-ins (429, Retry-After)', async () => {
    const user = await createAdminUser(server, server.credentials.customer, { role: 'staff' });
    const site = siteClient(server);
    await site.signIn(user.email, user.password);
    await site.get('/admin/account');
    let last;
    for (let i = 0; i < 11; i++) {
      last = await site.post('/admin/account/password', {
        current: `guess ${i} of many`,
        next: 'a brand new password',
      });
    }
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.text).toContain('Too many wrong passwords');
    // Even the right one waits out the minute, and the password stays as it was.
    const right = await site.post('/admin/account/password', { current: user.password, next: 'a brand new password' });
    expect(right.status).toBe(429);
    expect((await siteClient(server).signIn(user.email, user.password)).status).toBe(303);
  });

  it('a password change signs out every other session of the user', async () => {
    const user = await createAdminUser(server, server.credentials.customer, { role: 'staff' });
    const other = siteClient(server);
    await other.signIn(user.email, user.password);
    const site = siteClient(server);
    await site.signIn(user.email, user.password);
    await site.get('/admin/account');
    const changed = await site.post('/admin/account/password', {
      current: user.password,
      next: 'a brand new password',
    });
    expect(changed.status).toBe(303);
    expect((await other.get('/admin/conferences')).status).toBe(303); // revoked: signed out
    expect((await site.get('/admin/conferences')).status).toBe(200); // this browser got a new session
  });
});

describe('security', () => {
  it('another customer’s conference by URL answers as an unknown one (404)', async () => {
    const other = await server.addCustomer({ name: 'Other customer' });
    const theirs = await createConference(server, { name: 'Their secret conference' });
    // theirs belongs to the test customer; sign in as the other customer's user.
    const intruder = await createAdminUser(server, other.customer, { role: 'owner' });
    const site = siteClient(server);
    await site.signIn(intruder.email, intruder.password);
    const unknown = await site.get('/admin/conferences/AAAAAAAAAAAAAAAA');
    const foreign = await site.get(`/admin/conferences/${theirs}`);
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(foreign.text).not.toContain('Their secret conference');
    expect(foreign.text.replace(/\s+/g, ' ')).toBe(
      unknown.text.replace(/\s+/g, ' ').replace('AAAAAAAAAAAAAAAA', theirs),
    );
    expect((await site.get(`/admin/conferences/${theirs}/persons.csv`)).status).toBe(404);
    await site.get('/admin/conferences');
    const post = await site.post(`/admin/conferences/${theirs}/cancel`);
    expect(post.status).toBe(404);
    const check = await server.call('getConference', { conferenceUID: theirs });
    expect(check.message).toBe('');
    expect(check.value.status).not.toBe('CANCEL');
  });

  it('refuses a form without the CSRF token (403) and changes nothing', async () => {
    const uid = await createConference(server, { name: 'CSRF target' });
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    const answer = await site.post(`/admin/conferences/${uid}/cancel`, {}, { csrf: null });
    expect(answer.status).toBe(403);
    const forged = await site.post(`/admin/conferences/${uid}/cancel`, { csrf: 'x'.repeat(43) });
    expect(forged.status).toBe(403);
    const check = await server.call('getConference', { conferenceUID: uid });
    expect(check.value.status).not.toBe('CANCEL');
    // The sign-in form too: no double-submit cookie, no sign-in.
    const bare = siteClient(server);
    const login = await bare.post('/admin/sign-in', { email: owner.email, password: owner.password, csrf: 'abc' });
    expect(login.status).toBe(403);
  });

  it('answers a JSON body with an object for a value with a 400 page, never a 500, and changes nothing', async () => {
    const uid = await createConference(server, { name: 'JSON target' });
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    await site.get(`/admin/conferences/${uid}`);
    const cookie = [...site.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const postJson = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const path of ['/admin/conferences', `/admin/conferences/${uid}/persons`]) {
      const answer = await postJson(path, { csrf: site.csrf(), name: { first: 'Ann' }, role: 'PARTICIPANT' });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toContain('text/html');
      expect(await answer.text()).toContain('Request not understood');
    }
    expect((await server.call('getConference', { conferenceUID: uid })).value.persons).toEqual([]);
    // Text, numbers and arrays read as the form's text fields: a registrant named "42".
    const added = await postJson(`/admin/conferences/${uid}/persons`, {
      csrf: site.csrf(),
      name: 42,
      role: ['PRESENTER', 'PARTICIPANT'],
    });
    expect(added.status).toBe(303);
    const person = (await server.call('getConferenceData', { conferenceUID: uid })).value.person;
    expect(person).toMatchObject([{ name: '42', role: 'PARTICIPANT' }]);
  });

  it('reads a repeated query name as its last value on every page (it was a 500 for the search)', async () => {
    const uid = await createConference(server, { name: 'Repeated query' });
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    const search = await site.get('/admin/conferences?q=nothing-like-it&q=Repeated');
    expect(search.status).toBe(200);
    expect(search.text).toContain('name="q" type="search" value="Repeated"');
    for (const path of ['/admin/conferences?tab=a&tab=upcoming', `/admin/conferences/${uid}?x=1&x=2`]) {
      expect((await site.get(path)).status).toBe(200);
    }
  });

  it('shows a conference named <script>alert(1)</script> escaped on every page', async () => {
    const name = '<script>alert(1)</script>';
    const uid = await createConference(server, { name });
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    const pages = [
      '/admin/conferences?tab=possible',
      `/admin/conferences?tab=possible&q=${encodeURIComponent(name)}`,
      `/admin/conferences/${uid}`,
      `/admin/conferences/${uid}/import`,
    ];
    for (const path of pages) {
      const page = await site.get(path);
      expect(page.status, path).toBe(200);
      expect(page.text, path).not.toContain(name);
      expect(page.text, path).toContain('&lt;script>alert(1)&lt;/script>');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
  });

  it('never sends a password hash in any page, and never logs one', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    // The server's own logger (with its redaction), at its most talkative level.
    const services = { ...server.services, config: { ...server.services.config, logLevel: 'trace' } };
    const app = await buildApp(services, { logStream: stream });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const site = siteClient({ ...server, url });
      await site.signIn(owner.email, owner.password);
      const uid = await createConference(server, { name: 'Hash check' });
      const texts: string[] = [];
      for (const path of ['/admin/conferences', '/admin/account', `/admin/conferences/${uid}`]) {
        texts.push((await site.get(path)).text);
      }
      texts.push((await site.post('/admin/account/users', { email: 'hash-check@example.org', role: 'staff' })).text);
      texts.push((await site.signIn(owner.email, 'wrong password here')).text);
      const all = texts.join('\n') + lines.join('\n');
      expect(lines.length).toBeGreaterThan(0);
      expect(all).not.toMatch(/scrypt\$/);
      expect(lines.join('\n')).not.toContain(owner.password);
      expect(lines.join('\n')).not.toContain(site.cookies.get('baton_admin')!);
    } finally {
      await app.close();
    }
  });

  it('staff cannot see or manage API keys and users', async () => {
    const staff = await createAdminUser(server, server.credentials.customer, { role: 'staff' });
    const site = siteClient(server);
    await site.signIn(staff.email, staff.password);
    const account = await site.get('/admin/account');
    expect(account.text).not.toContain('API keys');
    expect((await site.post('/admin/account/keys')).status).toBe(403);
  });
});

describe('pages use the API’s rules', () => {
  it('adds a registrant with a PIN that getConferenceData reports, and shows the API’s message for a bad email', async () => {
    const uid = await createConference(server, { name: 'Rules' });
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    await site.get(`/admin/conferences/${uid}`);
    const added = await site.post(`/admin/conferences/${uid}/persons`, {
      name: 'Ada',
      email: 'ada@example.org',
      role: 'PRESENTER',
    });
    expect(added.status).toBe(303);
    const data = await server.call('getConferenceData', { conferenceUID: uid });
    const person = data.value.person.find((p: any) => p.email === 'ada@example.org');
    expect(person.role).toBe('PRESENTER');
    const page = await site.get(`/admin/conferences/${uid}`);
    expect(page.text).toContain(`data-pin="${person.UID}">${person.PIN}<`);
    // The event log says where the registration came from.
    const events = (await server.call('getEvents', { after: 0, limit: 1000 })).value.event as any[];
    const registered = events.find((e) => e.type === 'person.registered' && e.data.person.UID === person.UID);
    expect(registered.data.source).toBe('admin');
    const bad = await site.post(`/admin/conferences/${uid}/persons`, {
      name: 'Bad',
      email: 'not-an-email',
      role: 'PARTICIPANT',
    });
    expect(bad.status).toBe(422);
    const api = await server.call('addPerson', { conference: uid, role: 'PARTICIPANT', email: 'not-an-email' });
    expect(bad.text).toContain(api.message.replace(/"/g, '&quot;'));
  });

  it('edits every updateConference field and reads them back through the API', async () => {
    const uid = await createConference(server, { name: 'Settings' });
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    await site.get(`/admin/conferences/${uid}`);
    const answer = await site.post(`/admin/conferences/${uid}/settings`, {
      contactEmail: 'host@example.org',
      registerText: 'Welcome',
      notes: 'n',
      recording: 'true',
      greenroom: 'true',
      backgroundMusic: 'true',
      callerInterface: 'ci',
      preCall: 'pre',
      postCall: 'post',
      banner: 'b',
      regComment: 'rc',
    });
    expect(answer.status).toBe(303);
    const c = (await server.call('getConference', { conferenceUID: uid })).value;
    expect(c).toMatchObject({
      contactEmail: 'host@example.org',
      registerText: 'Welcome',
      recording: true,
      greenroom: true,
      reminder: false,
    });
    const bad = await site.post(`/admin/conferences/${uid}/settings`, { contactEmail: 'nope' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('not a valid email address');
  });

  it('creates and revokes an API key; the key is shown once and works with the API', async () => {
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    await site.get('/admin/account');
    const created = await site.post('/admin/account/keys');
    const key = /id="new-key">\s*([0-9a-f]{32})/.exec(created.text)![1]!;
    const as = { customer: server.credentials.customer, key };
    expect((await server.call('getCustomer', {}, { as })).code).toBe(0);
    expect((await site.get('/admin/account')).text).not.toContain(key);
    // The newest key is the last row; its revoke form is the last one.
    const ids = [...created.text.matchAll(/\/admin\/account\/keys\/(\d+)\/revoke/g)].map((m) => Number(m[1]));
    await site.post(`/admin/account/keys/${Math.max(...ids)}/revoke`);
    expect((await server.call('getCustomer', {}, { as })).code).toBe(-5);
  });

  it('exports registrants as CSV with their PINs', async () => {
    const uid = await createConference(server, { name: 'Export' });
    await server.call('addPerson', {
      conference: uid,
      role: 'PARTICIPANT',
      name: 'Quote "me", please',
      email: 'q@example.org',
    });
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    const csv = await site.get(`/admin/conferences/${uid}/persons.csv`);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    // Never rendered as a page, whatever a browser would guess from its cells.
    expect(csv.headers.get('x-content-type-options')).toBe('nosniff');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="registrants-${uid}.csv"`);
    for (const asset of ['/admin/assets/admin.css', '/admin/assets/admin.js']) {
      expect((await site.get(asset)).headers.get('x-content-type-options'), asset).toBe('nosniff');
    }
    const rows = parseCsv(csv.text);
    expect(rows[0]).toEqual(['name', 'email', 'role', 'pin', 'notes', 'custom1', 'custom2', 'uid']);
    expect(rows[1]![0]).toBe('Quote "me", please');
    const data = await server.call('getConferenceData', { conferenceUID: uid });
    expect(rows[1]![3]).toBe(data.value.person[0].PIN);
  });

  it('adds, moves and removes reservations with the API’s codes and messages', async () => {
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    await site.get('/admin/conferences/new');
    const created = await site.post('/admin/conferences', {
      name: 'Reserved on the site',
      kind: 'reserved',
      startDate1: '2026-01-20T10:00',
      duration1: '50',
      startDate2: '2026-01-19T10:00',
      duration2: '30',
    });
    expect(created.status).toBe(303);
    const uid = /conferences\/([A-Z0-9]{16})/.exec(created.location!)![1]!;
    let data = (await server.call('getConferenceData', { conferenceUID: uid })).value;
    expect(data.reservation).toHaveLength(2);
    expect(data.reservation.map((r: any) => r.duration).sort()).toEqual([30, 60]); // rounded up to 15 minutes
    await site.get(`/admin/conferences/${uid}`);
    const overlap = await site.post(`/admin/conferences/${uid}/reservations`, {
      startDate: '2026-01-20T10:30',
      duration: '30',
    });
    expect(overlap.status).toBe(422);
    expect(overlap.text).toContain('startDate falls inside reservation');
    const added = await site.post(`/admin/conferences/${uid}/reservations`, {
      startDate: '2026-01-21T10:00',
      duration: '15',
    });
    expect(added.status).toBe(303);
    data = (await server.call('getConferenceData', { conferenceUID: uid })).value;
    const third = data.reservation.find((r: any) => r.duration === 15);
    const moved = await site.post(`/admin/conferences/${uid}/reservations/${third.UID}`, {
      startDate: '2026-01-23T12:00',
      duration: '15',
      estimatedCallers: '40',
    });
    expect(moved.status).toBe(303);
    const after = (await server.call('getConferenceReservation', { reservationUID: third.UID })).value;
    expect(after.estimateCaller).toBe(40);
    expect(after.startTime).toBe('Fri Jan 23 12:00:00 UTC 2026');
    for (const r of data.reservation.slice(0, 2)) {
      expect((await site.post(`/admin/conferences/${uid}/reservations/${r.UID}/remove`)).status).toBe(303);
    }
    const last = await site.post(`/admin/conferences/${uid}/reservations/${third.UID}/remove`);
    expect(last.status).toBe(422);
    expect(last.text).toContain(`reservation ${third.UID} is the last one of conference ${uid}`);
  });

  it('edits a registrant and refuses one of another conference', async () => {
    const uid = await createConference(server, { name: 'Edit person' });
    const otherUid = await createConference(server, { name: 'Other' });
    const person = (await server.call('addPerson', { conference: uid, role: 'PARTICIPANT', name: 'Old name' })).value;
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    expect((await site.get(`/admin/conferences/${otherUid}/persons/${person.UID}`)).status).toBe(404);
    await site.get(`/admin/conferences/${uid}/persons/${person.UID}`);
    const saved = await site.post(`/admin/conferences/${uid}/persons/${person.UID}`, {
      name: 'New name',
      email: 'new@example.org',
      notes: '',
      custom1: 'c1',
      custom2: '',
      role: 'OPERATOR',
    });
    expect(saved.status).toBe(303);
    const data = await server.call('getConferenceData', { conferenceUID: uid });
    const read = data.value.person.find((p: any) => p.UID === person.UID);
    expect(read).toMatchObject({
      name: 'New name',
      email: 'new@example.org',
      custom1: 'c1',
      role: 'OPERATOR',
      PIN: person.PIN,
    });
  });

  it('saves account settings, the time zone included, through updateCustomer’s rules', async () => {
    const other = await server.addCustomer({ name: 'Settings customer' });
    const user = await createAdminUser(server, other.customer, { role: 'owner' });
    const site = siteClient(server);
    await site.signIn(user.email, user.password);
    await site.get('/admin/account');
    const saved = await site.post('/admin/account', {
      timeZone: 'Europe/Berlin',
      affiliateCode: 'AFF-1',
      reminder: 'true',
    });
    expect(saved.status).toBe(303);
    const customer = (await server.call('getCustomer', {}, { as: other })).value;
    expect(customer).toMatchObject({
      timeZone: 'Europe/Berlin',
      affiliateCode: 'AFF-1',
      reminder: true,
      recording: false,
    });
    const bad = await site.post('/admin/account', { timeZone: 'Mars/Olympus' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('must be an IANA time zone');
  });

  it('names a time’s zone as the API does (CET, not GMT+1) on the site and the registration page', async () => {
    const berlin = await server.addCustomer({ name: 'Berlin customer', timeZone: 'Europe/Berlin' });
    const user = await createAdminUser(server, berlin.customer, { role: 'owner' });
    const start = Date.UTC(2026, 0, 20, 9, 0); // 10:00 in Berlin, winter time
    const answer = await server.call(
      'createConferenceReserved',
      { name: 'Zone names', ...reservationParams([{ startDate: new Date(start).toISOString(), duration: 60 }]) },
      { as: berlin },
    );
    const uid = answer.value.UID as string;
    const reservation = (await server.call('getConferenceData', { conferenceUID: uid }, { as: berlin })).value
      .reservation;
    const apiStart = (Array.isArray(reservation) ? reservation[0] : reservation).startTime as string;
    expect(apiStart).toBe('Tue Jan 20 10:00:00 CET 2026');
    const site = siteClient(server);
    await site.signIn(user.email, user.password);
    const page = await site.get(`/admin/conferences/${uid}`);
    expect(page.text).toContain('Jan 20, 2026, 10:00:00 AM CET');
    expect(page.text).not.toContain('GMT+1');
    const registration = await fetch(`${server.url}/conference/register/${uid}`);
    const text = await registration.text();
    expect(text).toContain('10:00 AM CET – 11:00 AM CET');
    expect(text).not.toContain('GMT+1');
  });

  it('lets an owner add a user (a one-time link) and remove them', async () => {
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    await site.get('/admin/account');
    const added = await site.post('/admin/account/users', { email: 'new-staff@example.org', role: 'staff' });
    const link = /id="new-user-link">\s*(http\S+?)\s*</.exec(added.text)![1]!.replace(/&amp;/g, '&');
    expect(new URL(link).pathname).toBe('/admin/password');
    const again = await site.post('/admin/account/users', { email: 'NEW-staff@example.org', role: 'staff' });
    expect(again.text).toContain('a user with email new-staff@example.org already exists');
    const uid = new RegExp(`/admin/account/users/([A-Z0-9]{16})/remove"[^]*?`).exec(
      added.text.slice(added.text.indexOf('new-staff@example.org</td>')),
    )![1]!;
    expect((await site.post(`/admin/account/users/${uid}/remove`)).status).toBe(303);
    expect((await site.get(new URL(link).pathname + new URL(link).search)).status).toBe(410);
  });

  it("refuses an address another customer's user holds without telling that it exists or whose it is", async () => {
    const other = await server.addCustomer({ name: 'Other customer' });
    const theirs = await createAdminUser(server, other.customer, { role: 'staff' });
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    await site.get('/admin/account');
    const answer = await site.post('/admin/account/users', { email: theirs.email.toUpperCase(), role: 'staff' });
    expect(answer.text).toContain(`email ${theirs.email} cannot be used for a new user`);
    expect(answer.text).not.toContain('already exists');
    expect(answer.text).not.toContain('Other customer');
    expect(answer.text).not.toContain(other.customer);
    expect(answer.text).not.toContain('new-user-link');
    // Nothing written: the other customer's user still signs in, and this customer has no user by that address.
    const account = await site.get('/admin/account');
    expect(account.text).not.toContain(theirs.email);
    const their = siteClient(server);
    expect((await their.signIn(theirs.email, theirs.password)).location).toBe('/admin/conferences');
  });

  it("sets a conference's custom value within the API's own limits (one rule, the domain's)", async () => {
    const uid = await createConference(server, { name: 'Custom limits' });
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    await site.get(`/admin/conferences/${uid}`);
    const long = await site.post(`/admin/conferences/${uid}/custom`, { customKey: 'k'.repeat(101), customValue: 'v' });
    expect(long.text).toContain('customKey must be at most 100 characters');
    const empty = await site.post(`/admin/conferences/${uid}/custom`, { customKey: ' ', customValue: 'v' });
    expect(empty.text).toContain('customKey is required');
    const saved = await site.post(`/admin/conferences/${uid}/custom`, { customKey: 'k'.repeat(100), customValue: 'v' });
    expect(saved.status).toBe(303);
    expect((await site.get(`/admin/conferences/${uid}`)).text).toContain('k'.repeat(100));
    expect((await site.get(`/admin/conferences/${uid}`)).text).not.toContain('k'.repeat(101));
  });

  it('answers an import over the body limit with a 413 page and adds nobody', async () => {
    const uid = await createConference(server, { name: 'Too big' });
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    await site.get(`/admin/conferences/${uid}/import`);
    const rows = ['name,email'];
    for (let i = 0; rows.join('\n').length < server.services.config.bodyLimit + 1000; i++)
      rows.push(`P ${i},p${i}@example.org`);
    const answer = await site.post(`/admin/conferences/${uid}/import`, { csv: rows.join('\n'), confirm: '1' });
    expect(answer.status).toBe(413);
    expect(answer.headers.get('content-type')).toMatch(/text\/html/);
    expect(answer.text).toContain('send it in parts');
    expect((await server.call('getConference', { conferenceUID: uid })).value.persons).toEqual([]);
  });

  it('shows a notice only for the site’s own done= codes (not constructor, __proto__ or toString)', async () => {
    const site = siteClient(server);
    await site.signIn(owner.email, owner.password);
    expect((await site.get('/admin/conferences?done=saved')).text).toContain('role="status">Saved.</div>');
    for (const done of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'nothing']) {
      const page = await site.get(`/admin/conferences?done=${done}`);
      expect(page.status, done).toBe(200);
      expect(page.text, done).not.toContain('class="notice"');
    }
  });

  it('answers an unknown /admin address with the site’s 404 page', async () => {
    const answer = await siteClient(server).get('/admin/nothing-here');
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toMatch(/text\/html/);
  });
});
