/**
 * Every HTML page the server sends — the site's and the registration pages,
 * their own error pages included (a URL the router cannot decode, a body
 * over the limit, unreadable JSON, an unknown path) — carries the headers
 * that keep it from being framed, sniffed, cached or given a script.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';

describe('security headers on every page, error pages too', () => {
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    server = await startTestServer({ config: { bodyLimit: 10_000 } });
    conference = await createConference(server);
  });
  afterAll(() => server.close());

  const form = 'application/x-www-form-urlencoded';
  const cases: [string, string, string, string | undefined, number][] = [
    ['a page that cannot be decoded under /admin', 'GET', '/admin/conferences/%E0%A4%A', undefined, 400],
    ['a NUL under /admin', 'GET', '/admin/conferences/%00', undefined, 400],
    ['unreadable JSON posted to the sign-in', 'POST', '/admin/sign-in', '{bad', 400],
    ['a form over the body limit under /admin', 'POST', '/admin/sign-in', `email=${'x'.repeat(20_000)}`, 413],
    ['a URL that cannot be decoded under /conference', 'GET', '/conference/register/%E0%A4%A', undefined, 400],
    ['unreadable JSON posted to a registration page', 'POST', '/conference/register/@', '{bad', 400],
    ['a registration over the body limit', 'POST', '/conference/register/@', `name=${'x'.repeat(20_000)}`, 413],
    ['an unknown path under /conference', 'GET', '/conference/nothing-here', undefined, 404],
    ['the sign-in page', 'GET', '/admin/sign-in', undefined, 200],
    ['an unknown /admin page', 'GET', '/admin/nothing-here', undefined, 404],
    ['a registration page', 'GET', '/conference/register/@', undefined, 200],
    ['an unknown conference’s registration page', 'GET', '/conference/register/NOSUCHCONFERENCE', undefined, 404],
  ];

  for (const [what, method, path, body, status] of cases) {
    it(`${what}: ${status}, not framed, not sniffed, not cached, no script`, async () => {
      const url = `${server.url}${path.replace('@', conference)}`;
      const json = body?.startsWith('{');
      const response = await fetch(url, {
        method,
        body,
        headers: body === undefined ? {} : { 'content-type': json ? 'application/json' : form },
      });
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await response.text()).toMatch(/^<!doctype html>/i);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('referrer-policy')).toMatch(/^(no-referrer|same-origin)$/);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    });
  }
});
