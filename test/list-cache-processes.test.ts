/**
 * The cached conference lists across processes (SQLite, WORKERS=2): both
 * workers keep the lists cached, and a conference created or canceled through
 * the API (run by the cluster's primary) or moved by another process's own
 * connection is in, or gone from, the very next list answer of either worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/database.js';
import { startWorkers, type WorkersUnderTest } from './process.js';
import { reservationParams } from './reservations.js';

describe.skipIf(process.env.BATON_TEST_PG_URL)('the list cache with WORKERS=2 on one SQLite file', () => {
  let workers: WorkersUnderTest;
  /** The test's own connection: another process to the server. */
  let store: Store;

  beforeAll(async () => {
    workers = await startWorkers({ name: 'Lists', did: '+1 555 0144' }, 'sqlite');
    ({ store } = workers);
  }, 60_000);
  afterAll(() => workers?.stop());

  /** The UIDs `fn` lists on both workers, each asked twice (the second from its cache): all four agree. */
  const onBothWorkers = async (fn: string): Promise<string[]> => {
    const answers: string[][] = [];
    for (let i = 0; i < 4; i++) {
      const answer = await workers.call(fn, {});
      expect(answer.code).toBe(0);
      answers.push([answer.value.conference ?? []].flat().map((c: { UID: string }) => c.UID));
    }
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    return answers[0]!;
  };
  const create = async (name: string, startDate: string) => {
    const created = await workers.call('createConferenceReserved', {
      name,
      ...reservationParams([{ startDate, duration: 60 }]),
    });
    expect(created.code).toBe(0);
    return created.value.UID as string;
  };

  it('shows a conference created, canceled or moved by another process in both workers’ next lists', async () => {
    const a = await create('A', '2030.01.20 10:00:00');
    expect(await onBothWorkers('getUpcomingConference')).toEqual([a]);
    expect(await onBothWorkers('getCanceledConference')).toEqual([]);
    expect(await onBothWorkers('getExpiredConference')).toEqual([]);

    // Created through the API: the primary writes it, neither worker.
    const b = await create('B', '2030.01.21 10:00:00');
    expect(await onBothWorkers('getUpcomingConference')).toEqual([a, b]);

    // Canceled through the API.
    expect((await workers.call('cancelConference', { conference: b })).code).toBe(0);
    expect(await onBothWorkers('getUpcomingConference')).toEqual([a]);
    expect(await onBothWorkers('getCanceledConference')).toEqual([b]);

    // Moved into the past by the test's own connection: A has ended.
    const past = Date.UTC(2020, 0, 1);
    await store.db
      .updateTable('reservations')
      .set({ start_at: past, end_at: past + 3_600_000 })
      .where('conference_uid', '=', a)
      .execute();
    await store.db
      .updateTable('conferences')
      .set({ last_end: past + 3_600_000 })
      .where('uid', '=', a)
      .execute();
    expect(await onBothWorkers('getUpcomingConference')).toEqual([]);
    expect(await onBothWorkers('getExpiredConference')).toEqual([a]);
  });
});
