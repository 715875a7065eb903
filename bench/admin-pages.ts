/**
 * `npm run bench:admin`: how fast the administration site's pages answer on
 * the seeded benchmark database (100,000 conferences; the measured customer
 * has 50 upcoming ones and a conference with 500 registrants).
 *
 * Seeds a fresh SQLite file, adds a site user, runs the app in this process
 * on a loopback port, signs in over HTTP and fetches each page one request
 * at a time (what a person clicking does), after a warm-up. Prints p50, p95
 * and p99 per page and saves the table to bench/results/admin-pages.md.
 *
 *   --conferences N   default 100000
 *   --requests N      per page, default 200
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { FakeClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { Services } from '../src/context.js';
import { createUser, setPasswordFromLink } from '../src/domain/users.js';
import { cryptoRandom } from '../src/random.js';
import { migrate, openStore } from '../src/store/database.js';
import { seedDatabase } from './seed.js';

const { values: flags } = parseArgs({
  options: { conferences: { type: 'string', default: '100000' }, requests: { type: 'string', default: '200' } },
});
const conferences = Number(flags.conferences);
const requests = Number(flags.requests);
const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'baton-bench-admin-'));
const file = join(dir, 'bench.db');
const now = Date.UTC(2026, 0, 15, 17, 0, 0);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

try {
  process.stderr.write(`seeding ${conferences.toLocaleString('en-US')} conferences…\n`);
  const seeded = await seedDatabase(file, { conferences, upcoming: 50, dataPersons: 500, smallPersons: 10, now });
  const config = loadConfig({ DATABASE_URL: file, LOG_LEVEL: 'warn' });
  const store = openStore(file);
  await migrate(store);
  const services: Services = { store, clock: new FakeClock(now), random: cryptoRandom, config };
  const password = 'benchmark password 1';
  const { link } = await createUser(services, {
    customerUid: seeded.customer,
    email: 'bench@example.org',
    role: 'owner',
  });
  await setPasswordFromLink(services, new URL(link).searchParams.get('token')!, password);
  const app = await buildApp(services, { logger: false });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });

  // Sign in as a browser would: the form's double-submit cookie, then the session cookie.
  const form = await fetch(`${url}/admin/sign-in`);
  const formCookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const signedIn = await fetch(`${url}/admin/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, email: 'bench@example.org', password }).toString(),
  });
  const session = signedIn.headers.getSetCookie()[0]!.split(';')[0]!;

  const pages: [string, string][] = [
    ['conferences: upcoming tab (50)', '/admin/conferences?tab=upcoming'],
    ['conferences: search by name', '/admin/conferences?tab=upcoming&q=1'],
    ['conferences: possible tab', '/admin/conferences?tab=possible'],
    ['conference with 500 registrants', `/admin/conferences/${seeded.dataConference}`],
    ['conference with 10 registrants', `/admin/conferences/${seeded.smallConference}`],
    ['registrants CSV export (500)', `/admin/conferences/${seeded.dataConference}/persons.csv`],
    ['account (owner: keys, users)', '/admin/account'],
  ];
  const lines = [
    `Admin pages on ${conferences.toLocaleString('en-US')} conferences (SQLite), ${requests} sequential requests each, ms`,
    '',
    '| page | p50 | p95 | p99 | bytes |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, path] of pages) {
    const get = async () => {
      const response = await fetch(`${url}${path}`, { headers: { cookie: session }, redirect: 'manual' });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
      return body.length;
    };
    for (let i = 0; i < 20; i++) await get();
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < requests; i++) {
      const start = performance.now();
      bytes = await get();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const f = (n: number) => n.toFixed(1);
    lines.push(
      `| ${name} | ${f(percentile(times, 50))} | ${f(percentile(times, 95))} | ${f(percentile(times, 99))} | ${bytes} |`,
    );
    process.stderr.write(`${lines.at(-1)}\n`);
  }
  await app.close();
  await store.close();
  const table = lines.join('\n') + '\n';
  process.stdout.write(`\n${table}`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'admin-pages.md'), table);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
