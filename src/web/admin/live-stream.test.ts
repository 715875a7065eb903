/**
 * The live call stream ends with the session that opened it: signing out,
 * changing the password, or an owner signing the user out everywhere or
 * removing them closes the stream at once on this process, instead of it
 * sending the call's callers until its next session check. HEAD ends after
 * the headers.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeClient, registerPerson, testBridgeToken } from '../../../test/bridge.js';
import { createAdminUser, siteClient, type SiteClient } from '../../../test/admin.js';
import { createConference, startTestServer, type TestServer } from '../../../test/harness.js';
import { liveStreamsPerUser } from './routes.js';

const did = '+1 555 0100';

describe('the live call stream and the session', () => {
  let server: TestServer;
  let live: string;
  let owner: { email: string; password: string; uid: string };
  beforeAll(async () => {
    server = await startTestServer({ config: { bridgeToken: testBridgeToken }, did });
    const conference = await createConference(server, { name: 'Live' });
    const person = await registerPerson(server, conference, { name: 'Ada', email: 'ada@example.org' });
    const admitted = await bridgeClient(server).admit(did, person.PIN);
    live = `/admin/conferences/${conference}/calls/${admitted.callUID}/live`;
    owner = await createAdminUser(server, server.credentials.customer, { role: 'owner' });
  });
  afterAll(() => server.close());

  /** Opens the stream as `site`; resolves once its first event (Ada joining) arrived. */
  async function openStream(site: SiteClient) {
    const controller = new AbortController();
    const cookie = [...site.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(`${server.url}${live}`, { headers: { cookie }, signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('event: join')) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended before its first event');
      text += new TextDecoder().decode(value);
    }
    /** Reads until the server ends the stream; 'open' if it is still open after a while. */
    const ended = async (): Promise<'ended' | 'open'> => {
      const timeout = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 5_000));
      const drained = (async () => {
        for (;;) if ((await reader.read()).done) return 'ended' as const;
      })();
      const outcome = await Promise.race([drained, timeout]);
      controller.abort();
      return outcome;
    };
    /** Closes the stream from this side. */
    const close = () => controller.abort();
    return { ended, close };
  }

  async function signedIn(email: string, password: string) {
    const site = siteClient(server);
    expect((await site.signIn(email, password)).status).toBe(303);
    return site;
  }

  it(`holds at most ${liveStreamsPerUser} streams of one user open: the next is a 429 until one closes`, async () => {
    const staff = await createAdminUser(server, server.credentials.customer, { role: 'staff' });
    const site = await signedIn(staff.email, staff.password);
    const streams = [];
    for (let i = 0; i < liveStreamsPerUser; i++) streams.push(await openStream(site));
    const cookie = [...site.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const refused = await fetch(`${server.url}${live}`, { headers: { cookie } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await refused.text()).toContain('Too many live views');
    // Another user of the same customer is not refused for this one's streams.
    const other = await openStream(await signedIn(owner.email, owner.password));
    // One closed: the next opens, once the server has seen the connection go (its next turn or so).
    streams.pop()!.close();
    let status = 429;
    for (let attempt = 0; attempt < 100 && status === 429; attempt++) {
      const controller = new AbortController();
      const response = await fetch(`${server.url}${live}`, { headers: { cookie }, signal: controller.signal });
      status = response.status;
      controller.abort();
      if (status === 429) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(200);
    for (const stream of [...streams, other]) stream.close();
  });

  it('ends when the session signs out', async () => {
    const site = await signedIn(owner.email, owner.password);
    const stream = await openStream(site);
    await site.get('/admin/conferences');
    expect((await site.post('/admin/sign-out')).status).toBe(303);
    expect(await stream.ended()).toBe('ended');
  });

  it('ends when an owner signs the user out everywhere, and when the user is removed', async () => {
    const staff = await createAdminUser(server, server.credentials.customer, { role: 'staff' });
    const ownerSite = await signedIn(owner.email, owner.password);
    const first = await openStream(await signedIn(staff.email, staff.password));
    await ownerSite.get('/admin/account');
    expect((await ownerSite.post(`/admin/account/users/${staff.uid}/sign-out`)).status).toBe(303);
    expect(await first.ended()).toBe('ended');

    const second = await openStream(await signedIn(staff.email, staff.password));
    await ownerSite.get('/admin/account');
    expect((await ownerSite.post(`/admin/account/users/${staff.uid}/remove`)).status).toBe(303);
    expect(await second.ended()).toBe('ended');
  });

  it('answers HEAD with the headers and ends, without polling the call', async () => {
    const site = await signedIn(owner.email, owner.password);
    const cookie = [...site.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const answer = await new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
      const url = new URL(`${server.url}${live}`);
      const request = httpRequest(url, { method: 'HEAD', headers: { cookie } }, (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode!, type: response.headers['content-type'] }));
      });
      request.setTimeout(10_000, () => request.destroy(new Error('HEAD never ended')));
      request.on('error', reject);
      request.end();
    });
    expect(answer).toEqual({ status: 200, type: 'text/event-stream; charset=utf-8' });
  });

  it('ends on a password change, while a stream of another user stays open', async () => {
    const other = await createAdminUser(server, server.credentials.customer, { role: 'staff' });
    const user = await createAdminUser(server, server.credentials.customer, { role: 'staff' });
    const site = await signedIn(user.email, user.password);
    const mine = await openStream(site);
    const theirs = await openStream(await signedIn(other.email, other.password));
    await site.get('/admin/account');
    const changed = await site.post('/admin/account/password', {
      current: user.password,
      next: 'a brand new password 42',
    });
    expect(changed.status).toBe(303);
    expect(await mine.ended()).toBe('ended');
    expect(await theirs.ended()).toBe('open');
  });
});
