/**
 * Scale-out: two real server processes on one PostgreSQL database, with the
 * load spread across both, keep the rules that concurrency could break.
 * PostgreSQL only: SQLite is one machine's embedded database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/database.js';
import { callFunction, startProcessPair, type ProcessPair, type ServerProcess } from './process.js';
import { reservationParams } from './reservations.js';

const postgres = process.env.BATON_TEST_PG_URL;

describe.skipIf(!postgres)(
  'two server processes on one PostgreSQL database (skipped: needs BATON_TEST_PG_URL, see npm run test:pg)',
  () => {
    let pair: ProcessPair;
    let store: Store;
    let servers: ServerProcess[];
    let credentials: { customer: string; key: string };

    beforeAll(async () => {
      // Both start at once on an empty database: the migrator's lock lets one migrate while the other waits.
      pair = await startProcessPair({ DB_POOL_MAX: '10' }, { name: 'Scale-out', did: '+1 555 0199' });
      ({ servers, store, credentials } = pair);
    });

    afterAll(async () => {
      await pair?.stop();
    });

    /** Calls `fn` on server i mod 2. */
    const call = (i: number, fn: string, params: Record<string, string | number>) =>
      callFunction(servers[i % 2]!.url, fn, { ...credentials, ...params });

    it('gives 2,000 parallel addPerson calls spread across both processes 2,000 persons with distinct PINs', async () => {
      const created = await call(0, 'createConferenceReservationless', { name: 'Town hall' });
      expect(created.code).toBe(0);
      const conference = created.value.UID as string;

      const answers = await Promise.all(
        Array.from({ length: 2000 }, (_, i) =>
          call(i, 'addPerson', { conference, role: 'PARTICIPANT', name: `P${i}` }),
        ),
      );
      expect(answers.filter((a) => a.code !== 0)).toEqual([]);
      const pins = new Set(answers.map((a) => a.value.PIN as string));
      expect(pins.size).toBe(2000);

      const counts = await store.db
        .selectFrom('persons')
        .select((eb) => [eb.fn.countAll<number>().as('persons'), eb.fn.count<number>('pin').distinct().as('pins')])
        .where('conference_uid', '=', conference)
        .executeTakeFirstOrThrow();
      expect({ persons: Number(counts.persons), pins: Number(counts.pins) }).toEqual({ persons: 2000, pins: 2000 });
      const claims = await store.db
        .selectFrom('pin_claims')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('conference_uid', '=', conference)
        .executeTakeFirstOrThrow();
      expect(Number(claims.n)).toBe(2000);

      // Both processes answer for the same data.
      const [a, b] = await Promise.all([0, 1].map((i) => call(i, 'getConference', { conference })));
      expect(a).toEqual(b);
    });

    it('gives 20 parallel addConferenceReservation calls for one slot, spread across both processes, exactly one reservation', async () => {
      // Ten conferences, each with 20 parallel calls for the same new slot, all at once: more chances for a race to show.
      // The dates are far enough ahead that the servers' real clocks never reach them.
      const conferences = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const created = await call(i, 'createConferenceReserved', {
            name: `Board meeting ${i}`,
            ...reservationParams([{ startDate: '2099.03.01 10:00:00', duration: 60 }]),
          });
          expect(created.code).toBe(0);
          return created.value.UID as string;
        }),
      );

      const answers = await Promise.all(
        conferences.flatMap((conference) =>
          Array.from({ length: 20 }, (_, i) =>
            call(i, 'addConferenceReservation', { conference, startDate: '2099.03.02 10:00:00', duration: 60 }).then(
              (answer) => ({ conference, code: answer.code }),
            ),
          ),
        ),
      );
      for (const conference of conferences) {
        const codes = answers
          .filter((a) => a.conference === conference)
          .map((a) => a.code)
          .sort((x, y) => x - y);
        // One wins; every other call finds the winner's reservation and is refused with code 1 (overlap).
        expect(codes).toEqual([0, ...Array<number>(19).fill(1)]);
        const rows = await store.db
          .selectFrom('reservations')
          .select(['start_at', 'end_at'])
          .where('conference_uid', '=', conference)
          .orderBy('start_at')
          .execute();
        expect(rows).toEqual([
          { start_at: Date.UTC(2099, 2, 1, 10), end_at: Date.UTC(2099, 2, 1, 11) },
          { start_at: Date.UTC(2099, 2, 2, 10), end_at: Date.UTC(2099, 2, 2, 11) },
        ]);
      }
    });
  },
);
