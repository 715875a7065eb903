/**
 * The site's conference lists past the API's 1,000 a list answer, over real
 * HTTP: every conference can be found by search and reached by paging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReservationless } from '../../domain/conferences.js';
import { authenticate } from '../../domain/customers.js';
import { conferenceListLimit } from '../../domain/conference-lists.js';
import { startTestServer, type TestServer } from '../../../test/harness.js';
import { createAdminUser, siteClient, type SiteClient } from '../../../test/admin.js';

let server: TestServer;
let site: SiteClient;
const count = conferenceListLimit + 30;
const uids: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  const { customer, key } = server.credentials;
  // Seeded through the domain (as the API creates them), in creation order: the Possible list's order.
  const ctx = { services: server.services, customer: await authenticate(server.services, customer, key) };
  for (let i = 1; i <= count; i++) {
    uids.push((await createReservationless(ctx, { name: `Standup ${String(i).padStart(4, '0')}` })).row.uid);
  }
  const owner = await createAdminUser(server, customer, { role: 'owner' });
  site = siteClient(server);
  await site.signIn(owner.email, owner.password);
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const names = (html: string) =>
  [...html.matchAll(/<a href="\/admin\/conferences\/[A-Z0-9]{16}">([^<]*)<\/a>/g)].map((m) => m[1]!);

const label = (i: number) => `Standup ${String(i).padStart(4, '0')}`;

describe('the conference lists past 1,000 conferences', () => {
  it('counts them all, and its pages hold every one once', async () => {
    const pages = Math.ceil(count / 25);
    const first = await site.get('/admin/conferences?tab=possible');
    expect(first.status).toBe(200);
    expect(first.text).toContain(`(${count})`);
    expect(first.text).toContain(`Page 1 of ${pages}`);
    expect(first.text).not.toContain('conferences of its kind');
    const seen: string[] = names(first.text);
    for (let page = 2; page <= pages; page++) {
      const answer = await site.get(`/admin/conferences?tab=possible&page=${page}`);
      expect(answer.status).toBe(200);
      seen.push(...names(answer.text));
    }
    expect(seen.sort()).toEqual(Array.from({ length: count }, (_, i) => label(i + 1)));
    // A page number past the end shows the last page.
    const last = await site.get(`/admin/conferences?tab=possible&page=${pages}`);
    const past = await site.get(`/admin/conferences?tab=possible&page=${pages + 50}`);
    expect(names(past.text)).toEqual(names(last.text));
    expect(names(past.text)).toHaveLength(count - (pages - 1) * 25);
    expect(past.text).toContain(`Page ${pages} of ${pages}`);
  });

  it('finds by name a conference after the first 1,000, and pages a search', async () => {
    const found = await site.get(`/admin/conferences?tab=possible&q=${encodeURIComponent('standup 1029')}`);
    expect(found.status).toBe(200);
    expect(names(found.text)).toEqual(['Standup 1029']);
    expect(found.text).toContain(`/admin/conferences/${uids[1028]}`);
    // "Standup 10" matches 1000–1030: 31, two pages.
    const one = await site.get(`/admin/conferences?tab=possible&q=${encodeURIComponent('Standup 10')}`);
    const two = await site.get(`/admin/conferences?tab=possible&q=${encodeURIComponent('Standup 10')}&page=2`);
    expect(two.text).toContain('(31)');
    expect(two.text).toContain('Page 2 of 2');
    expect([...names(one.text), ...names(two.text)].sort()).toEqual(
      Array.from({ length: 31 }, (_, i) => label(1000 + i)),
    );
  });
});
