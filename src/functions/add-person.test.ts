import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';

describe('addPerson', () => {
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    server = await startTestServer();
    conference = await createConference(server);
  });
  afterAll(() => server.close());

  it('registers a person with a 6-digit PIN and returns the Person object', async () => {
    const answer = await server.call('addPerson', {
      conference,
      role: 'PARTICIPANT',
      name: 'Ann Lee',
      email: 'ann@example.org',
      notes: 'first',
      custom1: 'c1',
      custom2: 'c2',
    });
    expect(answer.code).toBe(0);
    expect(answer.message).toBe('');
    expect(answer.value).toMatchObject({
      conferenceUID: conference,
      name: 'Ann Lee',
      email: 'ann@example.org',
      role: 'PARTICIPANT',
      notes: 'first',
      custom1: 'c1',
      custom2: 'c2',
      callInNumber: '+1 555 0100',
    });
    expect(answer.value.PIN).toMatch(/^\d{6}$/);
    expect(answer.value.UID).toMatch(/^[A-Z0-9]{16}$/);
  });

  it('accepts a role in any case and stores it in upper case', async () => {
    const answer = await server.call('addPerson', { conference, role: 'presenter' });
    expect(answer.code).toBe(0);
    expect(answer.value.role).toBe('PRESENTER');
  });

  it('rejects a missing role with code -2', async () => {
    const answer = await server.call('addPerson', { conference });
    expect(answer).toEqual({ code: -2, message: 'role is required', value: null });
  });

  it('rejects an unknown role with code -2 naming the valid roles', async () => {
    const answer = await server.call('addPerson', { conference, role: 'CHAIR' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('PARTICIPANT, ASSISTANT, PRESENTER, OPERATOR');
  });

  it('rejects a malformed email with code -2', async () => {
    const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT', email: 'not an email' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('email');
  });

  it('rejects an unknown conference with code -2', async () => {
    const answer = await server.call('addPerson', { conference: 'NOSUCHCONFERENCE', role: 'PARTICIPANT' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('NOSUCHCONFERENCE');
  });

  it('rejects a name over the size limit with code -2 and writes nothing', async () => {
    const before = await server.call('getConference', { conferenceUID: conference });
    const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT', name: 'x'.repeat(201) });
    expect(answer.code).toBe(-2);
    const after = await server.call('getConference', { conferenceUID: conference });
    expect(after.value.persons).toEqual(before.value.persons);
  });

  it('refuses GET, since it is a command', async () => {
    const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT' }, { method: 'GET' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('POST');
  });

  it('treats another customer’s conference as nonexistent', async () => {
    const other = await server.addCustomer({ name: 'Other' });
    const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT' }, { as: other });
    expect(answer.code).toBe(-2);
    expect(answer.message).toBe(`no conference with UID ${conference}`);
  });

  it('refuses a canceled conference', async () => {
    const canceled = await createConference(server);
    expect((await server.call('cancelConference', { conference: canceled })).code).toBe(0);
    const answer = await server.call('addPerson', { conference: canceled, role: 'PARTICIPANT' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('canceled');
  });

  it('gives 1,000 parallel registrations 1,000 distinct PINs', async () => {
    const target = await createConference(server);
    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        server.call('addPerson', { conference: target, role: 'PARTICIPANT', name: `P${i}` }),
      ),
    );
    expect(answers.filter((a) => a.code !== 0)).toEqual([]);
    const pins = new Set(answers.map((a) => a.value.PIN as string));
    expect(pins.size).toBe(1000);
    const data = await server.call('getConferenceData', { conferenceUID: target });
    expect(data.value.person).toHaveLength(1000);
    expect(new Set(data.value.person.map((p: { PIN: string }) => p.PIN)).size).toBe(1000);
  });
});

describe('addPerson PIN allocation', () => {
  it('retries past PINs that are taken on the same DID', async () => {
    // A random source that repeats: the first three draws collide with earlier persons.
    const draws = ['111111', '111111', '222222', '111111', '222222', '333333'];
    let i = 0;
    const { cryptoRandom } = await import('../random.js');
    const server = await startTestServer({ random: { ...cryptoRandom, pin: () => draws[i++ % draws.length]! } });
    try {
      const conference = await createConference(server);
      const pins = [];
      for (let n = 0; n < 3; n++) {
        const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT' });
        expect(answer.code).toBe(0);
        pins.push(answer.value.PIN);
      }
      expect(pins).toEqual(['111111', '222222', '333333']);
    } finally {
      await server.close();
    }
  });

  it.runIf(process.env.BATON_TEST_PG_URL)(
    'on PostgreSQL, draws again in the group statement when its first PIN is held, with no transaction',
    async () => {
      const draws = ['515151', '515151', '626262'];
      let i = 0;
      const { cryptoRandom } = await import('../random.js');
      const server = await startTestServer({ random: { ...cryptoRandom, pin: () => draws[i++]! } });
      const query = pg.Client.prototype.query;
      const sent: string[] = [];
      try {
        const conference = await createConference(server);
        expect((await server.call('addPerson', { conference, role: 'PARTICIPANT' })).value.PIN).toBe('515151');
        pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
          const first = args[0] as string | { text?: string };
          sent.push(typeof first === 'string' ? first : (first.text ?? ''));
          return (query as (...a: unknown[]) => unknown).apply(this, args);
        } as typeof query;
        const second = await server.call('addPerson', { conference, role: 'PARTICIPANT' });
        pg.Client.prototype.query = query;
        expect(second.code).toBe(0);
        expect(second.value.PIN).toBe('626262');
        // Both draws went as group statements; the PIN rules' transaction never began.
        expect(sent.filter((text) => /^\s*begin/i.test(text))).toEqual([]);
        expect(sent.filter((text) => /insert into pin_claims/.test(text))).toHaveLength(2);
        const data = await server.call('getConferenceData', { conferenceUID: conference });
        expect(data.value.person.map((p: { PIN: string }) => p.PIN).sort()).toEqual(['515151', '626262']);
      } finally {
        pg.Client.prototype.query = query;
        await server.close();
      }
    },
  );

  it('reuses a PIN that a canceled conference gave back', async () => {
    const { cryptoRandom } = await import('../random.js');
    const server = await startTestServer({ random: { ...cryptoRandom, pin: () => '424242' } });
    try {
      const first = await createConference(server);
      expect((await server.call('addPerson', { conference: first, role: 'PARTICIPANT' })).value.PIN).toBe('424242');
      const second = await createConference(server);
      const refused = await server.call('addPerson', { conference: second, role: 'PARTICIPANT' });
      expect(refused.code).toBe(-3);
      await server.call('cancelConference', { conference: first });
      const again = await server.call('addPerson', { conference: second, role: 'PARTICIPANT' });
      expect(again.code).toBe(0);
      expect(again.value.PIN).toBe('424242');
    } finally {
      await server.close();
    }
  });
});

describe('addPerson racing cancelConference', () => {
  it('leaves no live PIN and no person added after the cancel on a canceled conference', async () => {
    const server = await startTestServer();
    try {
      for (let round = 0; round < 5; round++) {
        const conference = await createConference(server);
        // The cancel goes out amid the adds, so some of them read the conference before it and write after it.
        const add = (i: number) =>
          server.call('addPerson', { conference, role: 'PARTICIPANT', name: `R${round}-${i}` });
        const early = Array.from({ length: 20 }, (_, i) => add(i));
        const cancel = server.call('cancelConference', { conference });
        const adds = [...early, ...Array.from({ length: 20 }, (_, i) => add(20 + i))];
        const answers = await Promise.all(adds);
        expect((await cancel).code).toBe(0);
        // Every add either landed before the cancel (its PIN released by it) or was refused after it.
        for (const a of answers) {
          if (a.code !== 0)
            expect(a).toEqual({ code: -2, message: `conference ${conference} is canceled`, value: null });
        }
        const { db } = server.services.store;
        const claims = await db
          .selectFrom('pin_claims')
          .select('pin')
          .where('conference_uid', '=', conference)
          .execute();
        expect(claims).toEqual([]);
        const persons = await db.selectFrom('persons').select('uid').where('conference_uid', '=', conference).execute();
        expect(persons).toHaveLength(answers.filter((a) => a.code === 0).length);
      }
    } finally {
      await server.close();
    }
  });
});
