/**
 * Test helpers for the administration site: users made through the domain
 * (as `baton user create` makes them), and a small browser-like client over
 * real HTTP that keeps cookies and sends each page's CSRF token.
 */
import { createUser, setPasswordFromLink, type UserRole } from '../src/domain/users.js';
import type { TestServer } from './harness.js';

export const testPassword = 'correct horse battery staple';

/** Creates a user of `customer` and sets their password from the link. */
export async function createAdminUser(
  server: TestServer,
  customer: string,
  input: { email?: string; role?: UserRole; password?: string } = {},
): Promise<{ email: string; password: string; uid: string }> {
  const email = input.email ?? `user-${Math.random().toString(36).slice(2, 10)}@example.org`;
  const { user, link } = await createUser(server.services, {
    customerUid: customer,
    email,
    role: input.role ?? 'owner',
  });
  const token = new URL(link).searchParams.get('token')!;
  const password = input.password ?? testPassword;
  await setPasswordFromLink(server.services, token, password);
  return { email, password, uid: user.uid };
}

export interface SiteAnswer {
  status: number;
  text: string;
  location: string | null;
  headers: Headers;
}

/** A cookie-keeping client of the site. */
export interface SiteClient {
  cookies: Map<string, string>;
  get(path: string): Promise<SiteAnswer>;
  /** Posts a form; `csrf` is taken from the last page fetched unless given. */
  post(path: string, form?: Record<string, string>, options?: { csrf?: string | null }): Promise<SiteAnswer>;
  signIn(email: string, password: string): Promise<SiteAnswer>;
  /** The CSRF token of the last page fetched. */
  csrf(): string | undefined;
}

/** `headers` go with every request (e.g. an X-Forwarded-For a trusted proxy would add). */
export function siteClient(server: TestServer, options: { headers?: Record<string, string> } = {}): SiteClient {
  const cookies = new Map<string, string>();
  let lastCsrf: string | undefined;
  async function request(path: string, init: RequestInit = {}): Promise<SiteAnswer> {
    const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(`${server.url}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...options.headers, ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    const text = await response.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(text)?.[1];
    if (csrf) lastCsrf = csrf;
    return { status: response.status, text, location: response.headers.get('location'), headers: response.headers };
  }
  const client: SiteClient = {
    cookies,
    get: (path) => request(path),
    post(path, form = {}, options = {}) {
      const body = new URLSearchParams(form);
      const csrf = options.csrf === undefined ? lastCsrf : options.csrf;
      if (csrf !== null && csrf !== undefined && !('csrf' in form)) body.set('csrf', csrf);
      return request(path, {
        method: 'POST',
        body: body.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    },
    async signIn(email, password) {
      await request('/admin/sign-in');
      return client.post('/admin/sign-in', { email, password });
    },
    csrf: () => lastCsrf,
  };
  return client;
}
