/**
 * A bounded, seeded fuzz of the administration site, signed in, against a real
 * listening server: every page and form of the site (real and unknown UIDs)
 * with hostile field values, repeated fields, broken encodings, other body
 * kinds and forged or missing CSRF tokens. Nothing may answer a 5xx, show a
 * stack trace or log an error, and no password, cookie or key may reach the
 * log. The seed is in the failure message, so a failure can be replayed
 * (FUZZ_SEED=…).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminUser, siteClient, type SiteClient } from '../../../test/admin.js';
import { createConference, startTestServer, type TestServer } from '../../../test/harness.js';
import { createReservedConference } from '../../../test/reservations.js';
import { generator } from '../../../test/fuzz.js';

const seed = Number(process.env.FUZZ_SEED ?? 20261203);
const requests = 1500;

const values = [
  '',
  ' ',
  'x',
  '0',
  '-1',
  '1e309',
  '99999999999999999999',
  'NaN',
  'true',
  'line\r\nX-Injected: 1',
  '\u001b[2J',
  '\u202eevil',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'; DROP TABLE conferences; --",
  '../../etc/passwd',
  '🎉',
  'x'.repeat(5000),
  'PARTICIPANT',
  'HOST',
  'owner',
  'staff',
  'ADMIN',
  'possible',
  'past',
  'upcoming',
  'all',
  '2026-02-30T25:61',
  '2026-01-20T10:00',
  '2026.01.20 10:00:00',
  'Europe/Paris',
  'Not/AZone',
  'a@example.org',
  'not-an-address',
  'https://example.org/hook',
  'http://127.0.0.1/hook',
  'javascript:alert(1)',
  '//evil.example/',
  '/admin/conferences',
  'person.registered',
  '*',
  'name,email,role\r\nAda,ada@example.org,PARTICIPANT\r\n',
  'name,email\n"unclosed,x\n',
  '=HYPERLINK("http://evil")',
];

/** Percent-encodings that decode to nothing valid: sent raw, now and then (each is a 400 before any rule). */
const broken = ['%00', '%zz', '%', '%C0%AF', '%ED%A0%80', '%FF%FE', 'a%00b'];

/** Every field name a page of the site sends, and a few it does not. */
const names = [
  'name',
  'email',
  'role',
  'startDate',
  'duration',
  'timeZone',
  'estimatedCallers',
  'description',
  'contactEmail',
  'customKey',
  'customValue',
  'csv',
  'confirm',
  'confirmation',
  'current',
  'password',
  'next',
  'kind',
  'url',
  'eventTypes',
  'token',
  'username',
  'q',
  'tab',
  'page',
  'done',
  'skipped',
  'recording',
  'greenroom',
  'backgroundMusic',
  '__proto__',
  'constructor',
];

const contentTypes = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=latin1',
  'application/json',
  'multipart/form-data; boundary=XyZ',
  'text/plain',
  'application/octet-stream',
  '',
];

/** Strings an answer may not hold: a stack frame, a source path, an internal error's name. */
const leaks = [/\n\s+at \S+ \(/, /node_modules/, /\.ts:\d+:\d+/, /SqliteError|SQLITE_|PostgresError|TypeError/];

describe('fuzz: the administration site, signed in, seeded', () => {
  let server: TestServer;
  const logLines: string[] = [];
  let owner: { email: string; password: string };
  let client: SiteClient;
  let paths: { pages: string[]; forms: string[] };

  beforeAll(async () => {
    server = await startTestServer({
      config: { logLevel: 'info', webhookAllowPrivate: true },
      logStream: { write: (line: string) => void logLines.push(line) },
    });
    const { customer } = server.credentials;
    owner = await createAdminUser(server, customer, { role: 'owner' });
    const staff = await createAdminUser(server, customer, { role: 'staff' });
    const conference = await createConference(server);
    const person = (await server.call('addPerson', { conference, role: 'PARTICIPANT', name: 'Ada' })).value
      .UID as string;
    const other = await server.addCustomer({ name: 'Other' });
    const theirs = (await server.call('createConferenceReservationless', { ...other, name: 'Theirs' })).value
      .UID as string;
    const webhook = (await server.call('addWebhook', { url: 'http://127.0.0.1:9/hook' })).value.UID as string;
    client = siteClient(server);
    await client.signIn(owner.email, owner.password);

    const reserved = await createReservedConference(server, [{ startDate: '2026.01.20 10:00:00', duration: 60 }]);
    const reservation = (await server.call('getConference', { conferenceUID: reserved })).value
      .reservations[0] as string;
    // The site's own objects most of the time, so most requests reach a page or a form's rules.
    const conferences = [conference, conference, conference, reserved, reserved, theirs, 'NOSUCHCONFERENCE', '%00'];
    const persons = [person, person, person, 'NOSUCHPERSON0000', '-1', '%zz'];
    const reservations = [reservation, reservation, reservation, 'NOSUCHRESERVATI0', '%zz'];
    const calls = ['NOSUCHCALL000000', '%zz'];
    const ids = ['1', '0', '-1', '1e9', '99999999999999999999', 'abc', staff.uid, webhook, '%zz'];
    const pages = [
      '/admin',
      '/admin/conferences',
      '/admin/conferences/new',
      '/admin/account',
      '/admin/sign-in',
      '/admin/reset',
      '/admin/password',
      '/admin/nothing',
      '/admin/assets/admin.css',
      '/admin/assets/%2e%2e%2fpackage.json',
      ...conferences.flatMap((uid) => [
        `/admin/conferences/${uid}`,
        `/admin/conferences/${uid}/persons.csv`,
        `/admin/conferences/${uid}/import`,
      ]),
      ...persons.map((pid) => `/admin/conferences/${conference}/persons/${pid}`),
      ...calls.flatMap((cid) => [
        `/admin/conferences/${conference}/calls/${cid}`,
        `/admin/conferences/${conference}/calls/${cid}/callers.csv`,
      ]),
    ];
    // The account's forms and the new conference's, weighted like the forms of one conference.
    const accountForms = [
      '/admin/conferences',
      '/admin/account',
      '/admin/account/password',
      '/admin/account/keys',
      '/admin/account/webhooks',
      '/admin/account/users',
      '/admin/reset',
      '/admin/password',
    ];
    const forms = [
      ...accountForms,
      ...accountForms,
      ...accountForms,
      ...accountForms,
      ...accountForms,
      '/admin/sign-in',
      '/admin/sign-out',
      ...ids.flatMap((id) => [
        `/admin/account/keys/${id}/revoke`,
        `/admin/account/webhooks/${id}/rotate`,
        `/admin/account/webhooks/${id}/disable`,
        `/admin/account/webhooks/${id}/enable`,
        `/admin/account/webhooks/${id}/remove`,
        `/admin/account/users/${id}/sign-out`,
        `/admin/account/users/${id}/remove`,
      ]),
      ...conferences.flatMap((uid) => [
        `/admin/conferences/${uid}/settings`,
        `/admin/conferences/${uid}/settings`,
        `/admin/conferences/${uid}/cancel`,
        `/admin/conferences/${uid}/reservations`,
        `/admin/conferences/${uid}/persons`,
        `/admin/conferences/${uid}/persons`,
        `/admin/conferences/${uid}/custom`,
        `/admin/conferences/${uid}/import`,
      ]),
      ...persons.flatMap((pid) => [
        `/admin/conferences/${conference}/persons/${pid}`,
        `/admin/conferences/${conference}/persons/${pid}`,
        `/admin/conferences/${conference}/persons/${pid}/remove`,
      ]),
      ...reservations.flatMap((rid) => [
        `/admin/conferences/${reserved}/reservations/${rid}`,
        `/admin/conferences/${reserved}/reservations/${rid}`,
        `/admin/conferences/${reserved}/reservations/${rid}/remove`,
      ]),
    ];
    paths = { pages, forms };
  });
  afterAll(() => server?.close());

  it(`${requests} requests answer without a 5xx, a stack trace, an error logged or a secret logged (seed ${seed})`, async () => {
    const random = generator(seed);
    const tally = new Map<number, number>();
    // Raw percent-encoded text, so broken encodings reach the server as sent.
    const encode = (fields: [string, string][]) =>
      fields.map(([n, v]) => `${n}=${/%/.test(v) ? v : encodeURIComponent(v)}`).join('&');
    const fields = () => {
      const list: [string, string][] = [];
      const count = Math.floor(random.next() * 7);
      for (let i = 0; i < count; i++) {
        list.push([random.pick(names), random.next() < 0.03 ? random.pick(broken) : random.pick(values)]);
      }
      // A field twice: the second value must not turn the field into a list the page cannot read.
      if (list.length > 0 && random.next() < 0.2) list.push([list[0]![0], random.pick(values)]);
      return list;
    };

    const one = async (n: number) => {
      const post = random.next() < 0.7;
      // Now and then a page posted to, or a form's address read.
      const path = random.pick(post === random.next() < 0.9 ? paths.forms : paths.pages);
      const query = random.next() < 0.4 ? `?${encode(fields())}` : '';
      const form = fields();
      const csrf = client.csrf();
      const forged = random.next();
      if (post && forged < 0.85 && csrf) form.push(['csrf', csrf]);
      else if (post && forged < 0.92) form.push(['csrf', random.pick(['', 'x'.repeat(43), '%zz', csrf ?? ''])]);
      const kind = random.next();
      const contentType = kind < 0.7 ? contentTypes[0]! : random.pick(contentTypes);
      const body = !post
        ? undefined
        : kind < 0.75
          ? encode(form)
          : kind < 0.85
            ? JSON.stringify(Object.fromEntries(form.map(([k, v]) => [k, random.next() < 0.3 ? [v, v] : v])))
            : kind < 0.9
              ? `--XyZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--XyZ--\r\n`
              : kind < 0.95
                ? 'a\u0000b=c\u0000&&&=&=='
                : '';
      const headers: Record<string, string> = {
        cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      };
      if (post && contentType !== '') headers['content-type'] = contentType;
      if (random.next() < 0.05) headers.origin = 'https://evil.example';
      const response = await fetch(`${server.url}${path}${query}`, {
        method: post ? 'POST' : 'GET',
        headers,
        body,
        redirect: 'manual',
      });
      const text = await response.text();
      const what = `#${n} ${post ? 'POST' : 'GET'} ${path.slice(0, 100)}${query.slice(0, 200)} [${contentType}] ${String(body).slice(0, 160)}`;
      expect(response.status, `${what} → ${text.slice(0, 300)}`).toBeLessThan(500);
      tally.set(response.status, (tally.get(response.status) ?? 0) + 1);
      for (const leak of leaks) expect(text, `${what}: the answer shows ${leak}`).not.toMatch(leak);
    };

    for (let n = 0; n < requests; n += 10) {
      await Promise.all(Array.from({ length: Math.min(10, requests - n) }, (_, i) => one(n + i)));
      // A fuzzed form may have signed this client out (sign-out, a session ended by a user's removal): sign in again.
      const page = await client.get('/admin/conferences');
      if (page.status !== 200) await client.signIn(owner.email, owner.password);
    }

    // The fuzz reached the pages and forms, not only the refusals in front of them.
    expect(tally.get(200) ?? 0, JSON.stringify([...tally])).toBeGreaterThan(requests / 30);
    expect(tally.get(303) ?? 0, JSON.stringify([...tally])).toBeGreaterThan(requests / 50);
    expect(tally.get(422) ?? 0, JSON.stringify([...tally])).toBeGreaterThan(requests / 50);
    const levels = logLines.map((line) => JSON.parse(line) as { level: number; msg?: string });
    const errors = levels.filter((line) => line.level >= 50);
    expect(
      errors.map((line) => line.msg),
      'error lines in the log',
    ).toEqual([]);
    const secrets = [owner.password, server.credentials.key, ...client.cookies.values()];
    for (const line of logLines) {
      for (const secret of secrets)
        expect(line.includes(secret), `a secret in the log: ${line.slice(0, 300)}`).toBe(false);
    }
  }, 180_000);
});
