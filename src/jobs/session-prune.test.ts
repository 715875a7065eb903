/**
 * The job runner deletes site sessions that have ended, so the sessions table
 * holds only sessions that could still be used.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { createAdminUser, siteClient } from '../../test/admin.js';
import { sessionAbsoluteMs } from '../domain/users.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ jobs: true });
});
afterAll(async () => {
  await server?.close();
});

const sessionCount = async () =>
  Number(
    (
      await server.services.store.db
        .selectFrom('user_sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

it('prunes signed-out and expired sessions and keeps live ones', async () => {
  const user = await createAdminUser(server, server.credentials.customer, { role: 'owner' });
  const signedOut = siteClient(server);
  await signedOut.signIn(user.email, user.password);
  await signedOut.get('/admin/conferences'); // a page first: it carries the form's CSRF token
  expect((await signedOut.post('/admin/sign-out')).status).toBe(303);
  const live = siteClient(server);
  await live.signIn(user.email, user.password);
  expect(await sessionCount()).toBe(2);

  const first = await server.jobs!.runOnce(server.clock.now() + 1);
  expect(first.prunedSessions).toBe(1);
  expect(await sessionCount()).toBe(1);
  expect((await live.get('/admin/conferences')).status).toBe(200);

  const later = await server.jobs!.runOnce(server.clock.now() + sessionAbsoluteMs + 1);
  expect(later.prunedSessions).toBe(1);
  expect(await sessionCount()).toBe(0);
});
