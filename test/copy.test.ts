/**
 * `baton copy`: a SQLite installation with data in every table, copied by the
 * real command into an empty PostgreSQL database, answers every get* function
 * identically from a server on each. PostgreSQL only (the target is one).
 */
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endCall, joinCall, leaveCall, updateCaller } from '../src/domain/calls.js';
import { createKey, revokeKey } from '../src/domain/customers.js';
import { loadRegistrationTarget, register } from '../src/domain/self-registration.js';
import { sweepReminders } from '../src/jobs/reminders.js';
import { findCaller } from '../src/store/call.repository.js';
import { findCustomer } from '../src/store/customer.repository.js';
import { findPerson } from '../src/store/person.repository.js';
import { hitThrottle } from '../src/store/throttle.repository.js';
import { apiFunctions } from '../src/functions/index.js';
import { openStore } from '../src/store/database.js';
import type { Database } from '../src/store/schema.js';
import { runCli } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createConference, startTestServer, testEpoch, type Credentials, type TestServer } from './harness.js';
import { createReservedConference, utcText } from './reservations.js';

const hour = 3_600_000;

/** Every table of the Database type: the compiler keeps this list complete. */
const databaseTables: Record<keyof Database, true> = {
  customers: true,
  api_keys: true,
  conferences: true,
  reservations: true,
  persons: true,
  pin_claims: true,
  custom_values: true,
  calls: true,
  callers: true,
  call_breakouts: true,
  mail_queue: true,
  reminder_claims: true,
  invitations: true,
  throttle_counters: true,
  event_counters: true,
  events: true,
  webhook_endpoints: true,
  idempotency_keys: true,
};

/** The result table `baton copy` prints: table name → its row. */
function resultTable(stdout: string): Map<string, { sourceRows: number; targetRows: number; result: string }> {
  const rows = new Map<string, { sourceRows: number; targetRows: number; result: string }>();
  // The header and its rule, then one line per table up to the first blank line.
  for (const line of stdout.split('\n').slice(2)) {
    if (line.trim() === '') break;
    const cells = line.trim().split(/\s+/);
    rows.set(cells[0]!, { sourceRows: Number(cells[1]), targetRows: Number(cells[2]), result: cells[5]! });
  }
  return rows;
}

describe.skipIf(!process.env.BATON_TEST_PG_URL)(
  'baton copy from SQLite to PostgreSQL (skipped: needs BATON_TEST_PG_URL, see npm run test:pg)',
  () => {
    let sourceDb: TestDatabase;
    let targetDb: TestDatabase;
    let source: TestServer;
    let target: TestServer | undefined;
    let beta: Credentials;

    beforeAll(async () => {
      sourceDb = await createTestDatabase('sqlite');
      targetDb = await createTestDatabase('postgres');
      source = await startTestServer({ database: sourceDb });
      const ok = async (fn: string, params: Record<string, string | number>, as?: Credentials) => {
        const answer = await source.call(fn, params, as ? { as } : {});
        if (answer.code !== 0) throw new Error(`${fn}: ${answer.code} ${answer.message}`);
        return answer.value;
      };

      // Customers, one in another time zone, with edited fields, custom values and a rotated key.
      beta = await source.addCustomer({ name: 'Beta GmbH', timeZone: 'Europe/Berlin', did: '+49 30 555 0100' });
      await ok('updateCustomer', { field: 'banner', value: 'Ünïcödé ✓ "quoted" \\ back\nslash' });
      await ok('updateCustomer', { field: 'greenroom', value: 'true' });
      await ok('updateCustomValue', {
        objectType: 'customer',
        objectUID: source.credentials.customer,
        customKey: 'tier',
        customValue: 'gold',
      });
      const spare = await createKey(source.services, beta.customer);
      await revokeKey(source.services, beta.customer, spare);

      // Conferences: reservationless, reserved with several reservations, canceled; persons and custom values.
      const weekly = await createConference(source, { name: 'Weekly ☎' });
      const board = await createReservedConference(source, [
        { startDate: utcText(testEpoch + 24 * hour), duration: 60, estimatedCallers: 12 },
        { startDate: utcText(testEpoch + 48 * hour), duration: 20 },
      ]);
      await ok('addConferenceReservation', {
        conference: board,
        startDate: utcText(testEpoch + 72 * hour),
        duration: 90,
      });
      const gone = await createConference(source, { name: 'Canceled' });
      await ok('addPerson', { conference: gone, role: 'PARTICIPANT', name: 'Gone' });
      await ok('cancelConference', { conference: gone });
      await ok('updateConference', { conference: weekly, field: 'notes', value: 'line 1\nline 2' });
      await ok('updateCustomValue', {
        objectType: 'conference',
        objectUID: weekly,
        customKey: 'RESELLER_INFO_TEXT',
        customValue: 'Sold by Z',
      });
      const persons: string[] = [];
      for (const [i, conference] of [weekly, weekly, weekly, weekly, board, board].entries()) {
        const person = await ok('addPerson', {
          conference,
          role: i === 0 ? 'PRESENTER' : 'PARTICIPANT',
          name: `Person ${i} Ærø`,
          email: `p${i}@example.org`,
        });
        persons.push(person.UID as string);
      }
      await ok('updatePerson', { person: persons[1]!, field: 'notes', value: 'needs captions' });
      await ok('updateCustomValue', {
        objectType: 'person',
        objectUID: persons[2]!,
        customKey: 'seat',
        customValue: '12B',
      });
      await ok('removePerson', { conference: weekly, person: persons[3]! });
      // A webhook endpoint (a literal public address: this server delivers nothing, it runs no jobs).
      await ok('addWebhook', { url: 'https://93.184.215.14/hooks', eventTypes: 'person.registered' });
      const betaConference = await ok('createConferenceReservationless', { name: 'Beta call' }, beta);
      await ok('addPerson', { conference: betaConference.UID, role: 'PARTICIPANT', name: 'B1' }, beta);
      // A keyed command: its idempotency key and stored answer move with the database.
      await ok('addPerson', { conference: weekly, role: 'PARTICIPANT', name: 'Keyed', idempotencyKey: 'copy-key-1' });

      // A finished call with two callers, one of whom went to a breakout: what the bridge does, through its domain code.
      const customerRow = (await findCustomer(source.services.store.db, source.credentials.customer))!;
      const ctx = { services: source.services, customer: customerRow };
      const callers: string[] = [];
      for (const uid of [persons[0]!, persons[1]!]) {
        const person = (await findPerson(source.services.store.db, customerRow.uid, uid))!;
        const joined = await joinCall(ctx, {
          conferenceUid: weekly,
          personUid: uid,
          ani: '+15550101',
          pin: person.pin,
        });
        if (!joined.joined) throw new Error(`join refused: ${joined.reason}`);
        callers.push(joined.caller.uid);
      }
      await updateCaller(ctx, callers[1]!, { breakout: 'BREAKOUT000000001', attention: 3, tag: 'Q&A' });
      source.clock.advance(30 * 60_000);
      await leaveCall(ctx, callers[1]!);
      const callUid = (await findCaller(source.services.store.db, customerRow.uid, callers[0]!))!.call_uid;
      await endCall(ctx, callUid);
      source.clock.set(testEpoch);

      // Self-registration (person, invitation, queued confirmation) and a sweep that queues 24-hour reminders.
      const target = (await loadRegistrationTarget(source.services, board))!;
      await register(source.services, target, {
        name: 'Self Registered',
        email: 'self@example.org',
        custom1: '',
        custom2: '',
        notes: 'via the page',
      });
      expect(await sweepReminders(source.services, testEpoch)).toBeGreaterThan(0);
      // A throttle window (SQLite counts in memory; a database counter row is copied like any other).
      await hitThrottle(source.services.store.db, 'auth', '192.0.2.1', testEpoch, 60_000);

      await ok('updateCustomValue', {
        objectType: 'call',
        objectUID: callUid,
        customKey: 'RESELLER_INFO_URL',
        customValue: 'https://example.org/r',
      });
      await ok('updateCustomValue', {
        objectType: 'caller',
        objectUID: callers[0]!,
        customKey: 'mood',
        customValue: 'curious',
      });
    });

    afterAll(async () => {
      await target?.close();
      await source?.close();
      await targetDb?.drop();
      await sourceDb?.drop();
    });

    it('refuses a source that is not a Baton database', async () => {
      const stray = join(dirname(sourceDb.url), 'stray.db');
      writeFileSync(stray, '');
      const run = await runCli(['copy', '--from', stray, '--to', targetDb.url]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('is not a Baton database');
    });

    it('copies every table, sets sequences, verifies counts and checksums, and prints a table of results', async () => {
      const run = await runCli(['copy', '--from', sourceDb.url, '--to', targetDb.url]);
      expect(run.stderr).not.toContain('baton:');
      expect(run.code).toBe(0);
      const table = resultTable(run.stdout);
      // Every table the Database type has, and nothing else.
      expect([...table.keys()].sort()).toEqual(Object.keys(databaseTables).sort());
      for (const [name, row] of table) {
        expect(row.result, name).toBe('ok');
        expect(row.targetRows, name).toBe(row.sourceRows);
        expect(row.sourceRows, `${name} has rows to copy`).toBeGreaterThan(0);
      }
      // Parents before children.
      const order = [...table.keys()];
      expect(order.indexOf('customers')).toBeLessThan(order.indexOf('conferences'));
      expect(order.indexOf('conferences')).toBeLessThan(order.indexOf('persons'));
      expect(order.indexOf('calls')).toBeLessThan(order.indexOf('callers'));
      expect(run.stdout).toContain('copied and verified: every table matches');
      expect(run.stdout).toMatch(/sequence customers\.id next value 3/);
    });

    it('answers every get* function identically from a server on each database (JSON and XML)', async () => {
      // The same PUBLIC_URL, as after a real move: links in answers stay the same.
      target = await startTestServer({
        database: targetDb,
        credentials: source.credentials,
        config: { publicUrl: source.url },
      });
      const db = source.services.store.db;
      const uids = async (table: 'conferences' | 'reservations' | 'persons' | 'calls' | 'callers') =>
        (await db.selectFrom(table).select('uid').orderBy('uid').execute()).map((r) => r.uid);
      const samples: [RegExp, string[]][] = [
        [/reservation/i, await uids('reservations')],
        [/caller/i, await uids('callers')],
        [/call/i, await uids('calls')],
        [/person/i, await uids('persons')],
        [/conference/i, await uids('conferences')],
      ];

      const getters = apiFunctions.filter((fn) => fn.name.startsWith('get'));
      expect(getters.length).toBeGreaterThan(0);
      let compared = 0;
      for (const fn of getters) {
        const shape = (
          fn.params as unknown as { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }
        ).shape;
        const required = Object.keys(shape).filter((k) => !shape[k]!.safeParse(undefined).success);
        // Every combination of the sample UIDs for the required parameters (including mismatched ones: those must agree too).
        let calls: Record<string, string>[] = [{}];
        for (const name of required) {
          const values = samples.find(([pattern]) => pattern.test(name))?.[1];
          if (!values) throw new Error(`no sample values for ${fn.name}'s parameter ${name}`);
          calls = calls.flatMap((params) => values.map((v) => ({ ...params, [name]: v })));
        }
        let succeeded = 0;
        for (const as of [source.credentials, beta]) {
          for (const params of calls) {
            const [a, b] = await Promise.all([
              source.call(fn.name, params, { as }),
              target.call(fn.name, params, { as }),
            ]);
            expect(b, `${fn.name} ${JSON.stringify(params)}`).toEqual(a);
            const [x, y] = await Promise.all([
              source.callXml(fn.name, params, { as }),
              target.callXml(fn.name, params, { as }),
            ]);
            expect(y, `${fn.name} ${JSON.stringify(params)} (XML)`).toBe(x);
            if (a.code === 0) succeeded++;
            compared++;
          }
        }
        expect(succeeded, `${fn.name} answered something with code 0`).toBeGreaterThan(0);
      }
      expect(compared).toBeGreaterThan(20);
    });

    it('refuses to copy into a database that is no longer empty', async () => {
      const run = await runCli(['copy', '--from', sourceDb.url, '--to', targetDb.url]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('the target database is not empty');
    });

    it('--verify-only passes on the copy and names the one table that differs after a change', async () => {
      const same = await runCli(['copy', '--verify-only', '--from', sourceDb.url, '--to', targetDb.url]);
      expect(same.code).toBe(0);
      expect(same.stdout).toContain('the databases hold the same rows');

      const store = openStore(targetDb.url, { poolMax: 1 });
      try {
        await store.db.updateTable('custom_values').set({ value: 'silver' }).where('key', '=', 'tier').execute();
      } finally {
        await store.close();
      }
      const changed = await runCli(['copy', '--verify-only', '--from', sourceDb.url, '--to', targetDb.url]);
      expect(changed.code).toBe(1);
      const table = resultTable(changed.stdout);
      expect([...table].filter(([, row]) => row.result !== 'ok').map(([name]) => name)).toEqual(['custom_values']);
      expect(table.get('custom_values')).toMatchObject({ sourceRows: 5, targetRows: 5, result: 'MISMATCH' });
    });

    it('continues numbering after the copied ids: new customers and persons on the copy work', async () => {
      const newcomer = await target!.addCustomer({ name: 'After the move' });
      const conference = await target!.call('createConferenceReservationless', { name: 'New' }, { as: newcomer });
      expect(conference.code).toBe(0);
      const person = await target!.call(
        'addPerson',
        { conference: conference.value.UID, role: 'PARTICIPANT' },
        { as: newcomer },
      );
      expect(person.code).toBe(0);
    });
  },
);
