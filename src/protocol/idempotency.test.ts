import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, parseXml, startTestServer, type TestServer } from '../../test/harness.js';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { startServerProcess, testAgent, type ServerProcess } from '../../test/process.js';
import { request } from 'node:http';
import { sql } from 'kysely';
import { loadConfig } from '../config.js';
import { systemClock } from '../clock.js';
import { createCustomer } from '../domain/customers.js';
import { cryptoRandom } from '../random.js';
import { migrate, openStore, sqliteExecutorOf } from '../store/database.js';
import type { SqliteExecutor } from '../store/sqlite-executor.js';
import { onEventsCommitted } from '../domain/events.js';
import { findIdempotencyKey, insertIdempotencyClaim } from '../store/idempotency.repository.js';
import { idempotencyLeaseMs, idempotencyWindowMs, requestHash } from './idempotency.js';

describe('idempotent commands on one server', () => {
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    server = await startTestServer({ jobs: true });
    conference = await createConference(server);
  });
  afterAll(() => server.close());

  const personCount = async () =>
    (await server.call('getConference', { conferenceUID: conference })).value.persons.length as number;

  /** POSTs a JSON call with an Idempotency-Key header. */
  async function postWithHeader(fn: string, key: string, params: Record<string, string>) {
    const body = new URLSearchParams({ ...server.credentials, type: 'json', ...params });
    const response = await fetch(`${server.url}/_access/${fn}`, {
      method: 'POST',
      headers: { 'idempotency-key': key },
      body,
    });
    return (await response.json()) as { code: number; message: string; value: any };
  }

  it('addPerson repeated with the same key and parameters returns the first answer and registers one person', async () => {
    const before = await personCount();
    const params = { conference, role: 'PARTICIPANT', name: 'Ada', idempotencyKey: 'order-1001' };
    const first = await server.call('addPerson', params);
    expect(first.code).toBe(0);
    const again = await server.call('addPerson', params);
    expect(again).toEqual(first);
    expect(await personCount()).toBe(before + 1);
  });

  it('the same key through the header and through the parameter is the same call', async () => {
    const before = await personCount();
    const params = { conference, role: 'PARTICIPANT', name: 'Grace' };
    const first = await postWithHeader('addPerson', 'header-key-7', params);
    expect(first.code).toBe(0);
    const byParam = await server.call('addPerson', { ...params, idempotencyKey: 'header-key-7' });
    expect(byParam).toEqual(first);
    expect(await personCount()).toBe(before + 1);
  });

  it('a repeat asking for XML gets the first answer rendered as XML', async () => {
    const params = { conference, role: 'PRESENTER', name: 'Linus', idempotencyKey: 'xml-then-json' };
    const first = await server.call('addPerson', params);
    const doc = parseXml(await server.callXml('addPerson', params)).document;
    expect(doc.code).toBe('0');
    expect(doc.value.UID).toBe(first.value.UID);
    expect(doc.value.PIN).toBe(first.value.PIN);
    expect(doc.value.role).toBe('PRESENTER');
  });

  it('the same key with different parameters is a -2 that says so, and registers nobody', async () => {
    await server.call('addPerson', { conference, role: 'PARTICIPANT', name: 'Alan', idempotencyKey: 'k-differs' });
    const before = await personCount();
    const other = await server.call('addPerson', {
      conference,
      role: 'PARTICIPANT',
      name: 'Alan Turing',
      idempotencyKey: 'k-differs',
    });
    expect(other.code).toBe(-2);
    expect(other.message).toMatch(/idempotency key was already used with different parameters/);
    expect(other.value).toBeNull();
    // Another function under the same key is another call too.
    const cancel = await server.call('cancelConference', { conferenceUID: conference, idempotencyKey: 'k-differs' });
    expect(cancel.code).toBe(-2);
    expect(await personCount()).toBe(before);
    expect((await server.call('getConference', { conferenceUID: conference })).value.status).not.toBe('CANCEL');
  });

  it('a header and a parameter that disagree are a -2', async () => {
    const before = await personCount();
    const answer = await postWithHeader('addPerson', 'one', {
      conference,
      role: 'PARTICIPANT',
      idempotencyKey: 'two',
    });
    expect(answer.code).toBe(-2);
    expect(answer.message).toMatch(/differ/);
    expect(await personCount()).toBe(before);
  });

  it.each([
    ['too long', 'k'.repeat(256)],
    ['with a space', 'my key'],
    ['with a non-ASCII character', 'clé'],
  ])('a key %s is a -2 and writes nothing', async (_, key) => {
    const before = await personCount();
    const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT', idempotencyKey: key });
    expect(answer.code).toBe(-2);
    expect(answer.message).toMatch(/idempotency key must be 1 to 255 visible ASCII characters/);
    expect(await personCount()).toBe(before);
  });

  it('an empty key, as a parameter or as a header, is a -2 and writes nothing (never taken as no key)', async () => {
    const before = await personCount();
    const fromParam = await server.call('addPerson', { conference, role: 'PARTICIPANT', idempotencyKey: '' });
    expect(fromParam.code).toBe(-2);
    expect(fromParam.message).toMatch(/idempotency key must be 1 to 255 visible ASCII characters/);
    for (const header of ['', '   ']) {
      const fromHeader = await postWithHeader('addPerson', header, { conference, role: 'PARTICIPANT' });
      expect(fromHeader.code, JSON.stringify(header)).toBe(-2);
      expect(fromHeader.message).toMatch(/idempotency key must be 1 to 255 visible ASCII characters/);
    }
    expect(await personCount()).toBe(before);
    // An information function still ignores it.
    const read = await postWithHeader('getConference', '', { conferenceUID: conference });
    expect(read.code).toBe(0);
  });

  it('a key of 255 characters is accepted', async () => {
    const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT', idempotencyKey: 'k'.repeat(255) });
    expect(answer.code).toBe(0);
  });

  it('keys are scoped per customer: another customer using the same key runs its own call', async () => {
    const other = await server.addCustomer({ name: 'Other' });
    const theirs = await server.call(
      'createConferenceReservationless',
      { name: 'Theirs', idempotencyKey: 'shared' },
      {
        as: other,
      },
    );
    const ours = await server.call('createConferenceReservationless', { name: 'Theirs', idempotencyKey: 'shared' });
    expect(theirs.code).toBe(0);
    expect(ours.code).toBe(0);
    expect(ours.value.UID).not.toBe(theirs.value.UID);
    // Each customer's repeat gets its own first answer back.
    const theirsAgain = await server.call(
      'createConferenceReservationless',
      { name: 'Theirs', idempotencyKey: 'shared' },
      { as: other },
    );
    expect(theirsAgain.value.UID).toBe(theirs.value.UID);
  });

  it('a refusal of the function itself is kept: the repeat gets the same error without running again', async () => {
    const params = { conference: 'NOSUCHCONFERENCE', role: 'PARTICIPANT', idempotencyKey: 'refused-once' };
    const first = await server.call('addPerson', params);
    expect(first.code).toBe(-2);
    const row = await findIdempotencyKey(server.services.store.db, server.credentials.customer, 'refused-once');
    expect(row).toMatchObject({ state: 'done', code: -2, value: null });
    expect(await server.call('addPerson', params)).toEqual(first);
  });

  it('a bad parameter (refused before the call runs) claims nothing', async () => {
    const answer = await server.call('addPerson', { conference, role: 'NOT-A-ROLE', idempotencyKey: 'bad-role' });
    expect(answer.code).toBe(-2);
    expect(await findIdempotencyKey(server.services.store.db, server.credentials.customer, 'bad-role')).toBeUndefined();
    const fixed = await server.call('addPerson', { conference, role: 'PARTICIPANT', idempotencyKey: 'bad-role' });
    expect(fixed.code).toBe(0);
  });

  it('a claim whose runner died is taken over once its lease lapsed, and the call runs', async () => {
    const params = { conference, role: 'PARTICIPANT', name: 'Orphan' };
    const now = server.clock.now();
    const claim = {
      customerUid: server.credentials.customer,
      key: 'orphaned-claim',
      requestHash: requestHash('addPerson', params),
      now,
      expiresAt: now + idempotencyWindowMs,
    };
    // A claim still within its lease: a repeat waits for it (here: the lease lapses while it waits).
    expect(await insertIdempotencyClaim(server.services.store.db, { ...claim, lockedUntil: now + 1 })).toBe(true);
    const before = await personCount();
    const waiting = server.call('addPerson', { ...params, idempotencyKey: 'orphaned-claim' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.clock.advance(idempotencyLeaseMs);
    const answer = await waiting;
    expect(answer.code).toBe(0);
    expect(answer.value.name).toBe('Orphan');
    expect(await personCount()).toBe(before + 1);
    const row = await findIdempotencyKey(server.services.store.db, server.credentials.customer, 'orphaned-claim');
    expect(row).toMatchObject({ state: 'done', code: 0 });
  });

  it('information functions ignore the key', async () => {
    const answer = await server.call('getConference', { conferenceUID: conference, idempotencyKey: 'read-1' });
    expect(answer.code).toBe(0);
    expect(await findIdempotencyKey(server.services.store.db, server.credentials.customer, 'read-1')).toBeUndefined();
  });

  it('after 24 hours the key names a new call, and the job runner deletes expired keys', async () => {
    const params = { conference, role: 'PARTICIPANT', name: 'Barbara', idempotencyKey: 'day-old' };
    const first = await server.call('addPerson', params);
    server.clock.advance(idempotencyWindowMs);
    const next = await server.call('addPerson', params);
    expect(next.code).toBe(0);
    expect(next.value.UID).not.toBe(first.value.UID);

    await server.call('addPerson', { ...params, idempotencyKey: 'to-sweep' });
    const report = await server.jobs!.runOnce(server.clock.now() + idempotencyWindowMs);
    expect(report.expiredIdempotencyKeys).toBeGreaterThanOrEqual(1);
    expect(await findIdempotencyKey(server.services.store.db, server.credentials.customer, 'to-sweep')).toBeUndefined();
  });
});

const onPostgres = Boolean(process.env.BATON_TEST_PG_URL);

describe.skipIf(onPostgres)('a fresh key on SQLite: claim, call and answer in one write unit', () => {
  let server: TestServer;
  let conference: string;
  let executor: SqliteExecutor;
  beforeAll(async () => {
    server = await startTestServer();
    conference = await createConference(server);
    executor = sqliteExecutorOf(server.services.store.db)!;
  });
  afterAll(() => server.close());

  const customer = () => server.credentials.customer;
  const keyRow = (key: string) => findIdempotencyKey(server.services.store.db, customer(), key);
  const personsNamed = async (name: string) =>
    (await server.services.store.db.selectFrom('persons').select('uid').where('name', '=', name).execute()).length;

  it('commits the claim, the person and the stored answer in ONE commit, and a repeat commits nothing', async () => {
    const commits = executor.commits;
    const first = await server.call('addPerson', {
      conference,
      role: 'PARTICIPANT',
      name: 'One',
      idempotencyKey: 'u-1',
    });
    expect(first.code).toBe(0);
    expect(executor.commits - commits).toBe(1);
    expect(await keyRow('u-1')).toMatchObject({ state: 'done', code: 0 });
    expect(await personsNamed('One')).toBe(1);
    const again = await server.call('addPerson', {
      conference,
      role: 'PARTICIPANT',
      name: 'One',
      idempotencyKey: 'u-1',
    });
    expect(again).toEqual(first);
    expect(executor.commits - commits).toBe(1);
  });

  it('keeps a refusal in the same one commit, with nothing of the refused call', async () => {
    const commits = executor.commits;
    const params = { conference: 'NOSUCHCONFERENCE', role: 'PARTICIPANT', idempotencyKey: 'u-refused' };
    const first = await server.call('addPerson', params);
    expect(first.code).toBe(-2);
    expect(executor.commits - commits).toBe(1);
    expect(await keyRow('u-refused')).toMatchObject({ state: 'done', code: -2, value: null });
    expect(await server.call('addPerson', params)).toEqual(first);
  });

  it('runs the webhook listeners of the store once the keyed call committed its events', async () => {
    let woken = 0;
    const stop = onEventsCommitted(server.services.store, () => woken++);
    try {
      const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT', idempotencyKey: 'u-events' });
      expect(answer.code).toBe(0);
      expect(woken).toBeGreaterThanOrEqual(1);
    } finally {
      stop();
    }
  });

  it('a call that fails unhandled (-4) leaves neither its writes nor a claim: a retry with the key runs it', async () => {
    // A trigger on this connection only fails the insert of a person so named.
    executor.sqlite.exec(
      "create temp trigger refuse_boom before insert on persons when new.name = 'Boom' " +
        "begin select raise(abort, 'boom'); end",
    );
    const params = { conference, role: 'PARTICIPANT', name: 'Boom', idempotencyKey: 'u-boom' };
    try {
      const failed = await server.call('addPerson', params);
      expect(failed.code).toBe(-4);
      expect(failed.message).not.toMatch(/boom/);
      expect(await keyRow('u-boom')).toBeUndefined();
    } finally {
      executor.sqlite.exec('drop trigger refuse_boom');
    }
    const retried = await server.call('addPerson', params);
    expect(retried.code).toBe(0);
    expect(await personsNamed('Boom')).toBe(1);
  });

  it('a COMMIT that fails loses the claim, the call and the answer together: a retry with the key runs it', async () => {
    // A deferred foreign key is checked at COMMIT: a person so named makes the group's COMMIT fail.
    executor.sqlite.exec(
      'create table commit_breaker_parent (id integer primary key); ' +
        'create table commit_breaker (ref integer references commit_breaker_parent (id) deferrable initially deferred); ' +
        "create temp trigger break_commit after insert on persons when new.name = 'Doomed' " +
        'begin insert into commit_breaker values (1); end',
    );
    const params = { conference, role: 'PARTICIPANT', name: 'Doomed', idempotencyKey: 'u-doomed' };
    try {
      const failed = await server.call('addPerson', params);
      expect(failed.code).toBeLessThan(0);
      expect(failed.value).toBeNull();
      expect(await keyRow('u-doomed')).toBeUndefined();
      expect(await personsNamed('Doomed')).toBe(0);
    } finally {
      executor.sqlite.exec('drop trigger break_commit; drop table commit_breaker; drop table commit_breaker_parent');
    }
    const retried = await server.call('addPerson', params);
    expect(retried.code).toBe(0);
    expect(await personsNamed('Doomed')).toBe(1);
    expect(await keyRow('u-doomed')).toMatchObject({ state: 'done', code: 0 });
  });

  it('a function that waits outside the store (addWebhook resolves its host) claims in a write of its own', async () => {
    const commits = executor.commits;
    const params = { url: 'https://93.184.215.14/hooks/keyed', idempotencyKey: 'u-webhook' };
    const first = await server.call('addWebhook', params);
    expect(first.code).toBe(0);
    // The claim, the call and the answer: three commits, none of them holding the others' writes during the call.
    expect(executor.commits - commits).toBe(3);
    expect(await server.call('addWebhook', params)).toEqual(first);
    const hooks = (await server.call('getWebhooks', {})).value;
    expect(JSON.stringify(hooks).split('/hooks/keyed').length - 1).toBe(1);
  });

  it('a key that has a row already goes the usual way: another body is a -2, a claim in flight is waited for', async () => {
    const params = { conference, role: 'PARTICIPANT', name: 'Usual' };
    await server.call('addPerson', { ...params, idempotencyKey: 'u-usual' });
    const other = await server.call('addPerson', { ...params, name: 'Unusual', idempotencyKey: 'u-usual' });
    expect(other.code).toBe(-2);
    expect(other.message).toMatch(/different parameters/);
    expect(await personsNamed('Unusual')).toBe(0);

    // Twenty concurrent calls with one fresh key: one runs, the others hear its answer.
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => server.call('addPerson', { ...params, name: 'Once', idempotencyKey: 'u-20' })),
    );
    expect(answers[0]!.code).toBe(0);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(await personsNamed('Once')).toBe(1);
  });
});

describe.skipIf(!onPostgres)('a fresh key on PostgreSQL: claim, call and answer in one statement', () => {
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    server = await startTestServer();
    conference = await createConference(server);
  });
  afterAll(() => server.close());

  const customer = () => server.credentials.customer;
  const keyRow = (key: string) => findIdempotencyKey(server.services.store.db, customer(), key);
  const db = () => server.services.store.db;
  /** The transaction that wrote each row: the key's, and the persons' and events' of that name. */
  async function writers(key: string, name: string) {
    const { rows } = await sql<{ what: string; xid: string }>`
      select 'key' as what, xmin::text as xid from idempotency_keys where customer_uid = ${customer()} and key = ${key}
      union all select 'person', xmin::text from persons where customer_uid = ${customer()} and name = ${name}
      union all select 'event', xmin::text from events
        where customer_uid = ${customer()} and type = 'person.registered' and data::json #>> '{person,name}' = ${name}`.execute(
      db(),
    );
    return rows;
  }

  it('commits the key with its answer, the person and the event in ONE transaction, and a repeat writes nothing', async () => {
    const params = { conference, role: 'PARTICIPANT', name: 'Pg One', idempotencyKey: 'p-1' };
    const first = await server.call('addPerson', params);
    expect(first.code).toBe(0);
    expect(await keyRow('p-1')).toMatchObject({ state: 'done', code: 0, message: '' });
    const rows = await writers('p-1', 'Pg One');
    expect(rows.map((r) => r.what).sort()).toEqual(['event', 'key', 'person']);
    expect(new Set(rows.map((r) => r.xid)).size).toBe(1);
    const again = await server.call('addPerson', params);
    expect(again).toEqual(first);
    expect(await writers('p-1', 'Pg One')).toEqual(rows);
  });

  it('concurrent fresh keys each commit with their own person, and each stored answer is the one given', async () => {
    const call = (i: number) =>
      server.call('addPerson', { conference, role: 'PARTICIPANT', name: `Pg Many ${i}`, idempotencyKey: `pg-${i}` });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => call(i)));
    for (let i = 0; i < 8; i++) {
      expect(answers[i]!.code).toBe(0);
      const rows = await writers(`pg-${i}`, `Pg Many ${i}`);
      expect(rows.map((r) => r.what).sort()).toEqual(['event', 'key', 'person']);
      expect(new Set(rows.map((r) => r.xid)).size).toBe(1);
      expect(await call(i)).toEqual(answers[i]);
    }
  });

  it('a key twice in one turn runs the call once: the second caller hears the first answer', async () => {
    const params = { conference, role: 'PARTICIPANT', name: 'Pg Twice', idempotencyKey: 'p-twice' };
    const answers = await Promise.all(Array.from({ length: 6 }, () => server.call('addPerson', params)));
    expect(answers[0]!.code).toBe(0);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect((await writers('p-twice', 'Pg Twice')).map((r) => r.what).sort()).toEqual(['event', 'key', 'person']);
  });

  it('keeps a refusal: the key stores the -2, and a repeat gets it without running again', async () => {
    const params = { conference: 'NOSUCHCONFERENCE', role: 'PARTICIPANT', idempotencyKey: 'p-refused' };
    const first = await server.call('addPerson', params);
    expect(first.code).toBe(-2);
    expect(await keyRow('p-refused')).toMatchObject({ state: 'done', code: -2, value: null });
    expect(await server.call('addPerson', params)).toEqual(first);
  });

  it('a conference canceled since the request read it: the key stores the -2 of the call run again', async () => {
    const uid = await createConference(server);
    // The request read sees the live conference; the statement finds another row version and writes nothing.
    const read = server.call('addPerson', {
      conference: uid,
      role: 'PARTICIPANT',
      name: 'Pg Late',
      idempotencyKey: 'p-late',
    });
    await server.call('cancelConference', { conferenceUID: uid });
    const first = await read;
    const row = await keyRow('p-late');
    if (first.code === 0) {
      // The registration committed before the cancel: its answer is stored.
      expect(row).toMatchObject({ state: 'done', code: 0 });
    } else {
      expect(first.code).toBe(-2);
      expect(row).toMatchObject({ state: 'done', code: -2 });
      expect((await writers('p-late', 'Pg Late')).map((r) => r.what)).toEqual(['key']);
    }
  });

  it('a statement the server refuses leaves neither the person nor the key: a retry with the key runs it', async () => {
    await sql`create function refuse_boom() returns trigger language plpgsql as $$
      begin if new.name = 'Pg Boom' then raise exception 'boom'; end if; return new; end $$`.execute(db());
    await sql`create trigger refuse_boom before insert on persons for each row execute function refuse_boom()`.execute(
      db(),
    );
    const params = { conference, role: 'PARTICIPANT', name: 'Pg Boom', idempotencyKey: 'p-boom' };
    try {
      const failed = await server.call('addPerson', params);
      expect(failed.code).toBe(-4);
      expect(failed.message).not.toMatch(/boom/);
      expect(await keyRow('p-boom')).toBeUndefined();
      expect(await writers('p-boom', 'Pg Boom')).toEqual([]);
    } finally {
      await sql`drop trigger refuse_boom on persons`.execute(db());
      await sql`drop function refuse_boom()`.execute(db());
    }
    const retried = await server.call('addPerson', params);
    expect(retried.code).toBe(0);
    const rows = await writers('p-boom', 'Pg Boom');
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.xid)).size).toBe(1);
  });

  it('a key that has a row already goes the usual way: another body is a -2 and writes nothing', async () => {
    const params = { conference, role: 'PARTICIPANT', name: 'Pg Usual', idempotencyKey: 'p-usual' };
    expect((await server.call('addPerson', params)).code).toBe(0);
    const other = await server.call('addPerson', { ...params, name: 'Pg Unusual' });
    expect(other.code).toBe(-2);
    expect(other.message).toMatch(/different parameters/);
    expect(await writers('p-usual', 'Pg Unusual')).toEqual([
      { what: 'key', xid: (await writers('p-usual', 'Pg Usual'))[0]!.xid },
    ]);
  });
});

describe('idempotent commands across two server processes', () => {
  let database: TestDatabase;
  let servers: ServerProcess[];
  let credentials: { customer: string; key: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    const store = openStore(database.url, { poolMax: 2 });
    await migrate(store);
    const services = {
      store,
      clock: systemClock,
      random: cryptoRandom,
      config: loadConfig({ DATABASE_URL: database.url }),
    };
    const { customer, key } = await createCustomer(services, { name: 'Two processes', did: '+1 555 0142' });
    credentials = { customer: customer.uid, key };
    await store.close();
    servers = await Promise.all([1, 2].map(() => startServerProcess({ DATABASE_URL: database.url })));
  }, 60_000);

  afterAll(async () => {
    await Promise.all((servers ?? []).map((s) => s.stop()));
    await database?.drop();
  });

  /** POSTs with an Idempotency-Key header; resolves with the raw answer text. */
  function post(baseUrl: string, fn: string, params: Record<string, string>, key?: string): Promise<string> {
    const body = new URLSearchParams({ ...credentials, type: 'json', ...params }).toString();
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(`/_access/${fn}`, baseUrl),
        {
          method: 'POST',
          agent: testAgent,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(key ? { 'idempotency-key': key } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('50 parallel addPerson with one key, spread over both processes, register one person and give 50 identical answers', async () => {
    const created = JSON.parse(await post(servers[0]!.url, 'createConferenceReservationless', { name: 'Keyed' }));
    expect(created.code).toBe(0);
    const conference = created.value.UID as string;
    const params = { conference, role: 'PARTICIPANT', name: 'Once Only', email: 'once@example.org' };

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(servers[i % 2]!.url, 'addPerson', params, 'retry-safe-42')),
    );
    const first = JSON.parse(answers[0]!);
    expect(first.code).toBe(0);
    expect(new Set(answers).size).toBe(1);

    const read = JSON.parse(await post(servers[1]!.url, 'getConferenceData', { conferenceUID: conference }));
    expect(read.value.person).toHaveLength(1);
    expect(read.value.person[0].UID).toBe(first.value.UID);

    const different = JSON.parse(
      await post(servers[1]!.url, 'addPerson', { ...params, name: 'Someone Else' }, 'retry-safe-42'),
    );
    expect(different.code).toBe(-2);
    expect(different.message).toMatch(/different parameters/);
  }, 120_000);
});
