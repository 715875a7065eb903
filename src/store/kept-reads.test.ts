/**
 * SQLite's write group keeps addPerson's conference facts for the group's
 * later units (sqlite-executor.ts `kept`): a unit of the same group that
 * changes the conference (a cancel) must be seen by the units after it, and
 * a unit rolled back must not leave what it read or carried behind.
 * SQLite only: PostgreSQL has no such group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, createConference, type TestServer } from '../../test/harness.js';
import type { CallContext } from '../context.js';
import { cancelConference } from '../domain/conferences.js';
import { authenticate } from '../domain/customers.js';
import { addPerson } from '../domain/persons.js';
import { sqliteExecutorOf } from './database.js';
import { listPersonUids } from './person.repository.js';

const onPostgres = Boolean(process.env.BATON_TEST_PG_URL);

describe.skipIf(onPostgres)('conference facts kept within an SQLite write group', () => {
  let server: TestServer;
  let ctx: CallContext;

  beforeAll(async () => {
    server = await startTestServer();
    ctx = {
      services: server.services,
      customer: await authenticate(server.services, server.credentials.customer, server.credentials.key),
    };
  });
  afterAll(async () => {
    await server?.close();
  });

  const commits = () => sqliteExecutorOf(server.services.store.db)!.commits;
  const settle = <T>(promise: Promise<T>) =>
    promise.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );

  it('a cancel in the same group is seen by the registrations after it', async () => {
    const conference = await createConference(server);
    const before = commits();
    // One turn: the three calls share one write group, in this order.
    const [first, cancel, third] = await Promise.all([
      settle(addPerson(ctx, { conference, role: 'PARTICIPANT', name: 'First' })),
      settle(cancelConference(ctx, conference)),
      settle(addPerson(ctx, { conference, role: 'PARTICIPANT', name: 'Third' })),
    ]);
    expect(commits() - before).toBe(1);
    expect(first.ok).toBe(true);
    expect(cancel.ok).toBe(true);
    expect(third.ok).toBe(false);
    expect(String((third as { error: Error }).error.message)).toContain('canceled');
    const uids = await listPersonUids(server.services.store.db, ctx.customer.uid, conference);
    expect(uids).toHaveLength(1);
  });
});
