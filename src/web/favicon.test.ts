/**
 * The pages a browser opens first — the site's sign-in, a registration page,
 * /docs — leave nothing in the browser's console: no failed request (the
 * browser's own /favicon.ico included), no policy violation, no script error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../../test/browser.js';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';

let server: TestServer;
let browser: TestBrowser;
let conference: string;

beforeAll(async () => {
  server = await startTestServer();
  conference = await createConference(server);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('/favicon.ico', () => {
  it('answers an icon, not a 404, with headers that keep it inert', async () => {
    const response = await fetch(`${server.url}/favicon.ico`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/svg+xml');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await response.text()).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  for (const [what, path] of [
    ['the sign-in page', '/admin/sign-in'],
    ['a registration page', '/conference/register/@'],
    ['the reference page', '/docs'],
  ] as const) {
    it(`${what} in a fresh browser leaves the console empty`, async () => {
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
      await page.goto(`${server.url}${path.replace('@', conference)}`);
      // The browser asks for the icon after the page has loaded (and only once per origin: the first
      // of these pages is the one that shows it).
      await page.waitForTimeout(1500);
      await page.close();
      expect(problems).toEqual([]);
    });
  }
});
