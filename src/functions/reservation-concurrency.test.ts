import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { Services } from '../context.js';
import { openStore } from '../store/database.js';
import { startTestServer, type Envelope, type TestServer } from '../../test/harness.js';
import { createReservedConference } from '../../test/reservations.js';

/**
 * A second Baton node on the same database, with its own connection(s): two
 * processes' worth of writers, so the race is real on SQLite too (one
 * connection alone would serialise every transaction).
 */
async function startSecondNode(server: TestServer) {
  const store = openStore(server.database.url, { poolMax: 20 });
  const services: Services = { ...server.services, store };
  const app = await buildApp(services, { logger: false });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    async call(fn: string, params: Record<string, string>): Promise<Envelope> {
      const body = new URLSearchParams({ ...server.credentials, type: 'json', ...params });
      const response = await fetch(`${url}/_access/${fn}`, { method: 'POST', body });
      return (await response.json()) as Envelope;
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}

describe('parallel reservation writes', () => {
  let server: TestServer;
  let second: Awaited<ReturnType<typeof startSecondNode>>;
  beforeAll(async () => {
    server = await startTestServer();
    second = await startSecondNode(server);
  });
  afterAll(async () => {
    await second.close();
    await server.close();
  });

  it('lets exactly one of 20 parallel addConferenceReservation calls for overlapping slots win', async () => {
    const conference = await createReservedConference(server, [{ startDate: '2026.02.01 09:00:00', duration: 30 }]);
    // Starts 10:00, 10:03, … 10:57, each 60 minutes: every pair overlaps.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const params = {
          conference,
          startDate: `2026.02.02 10:${String(i * 3).padStart(2, '0')}:00`,
          duration: '60',
        };
        return i % 2 === 0
          ? server.call('addConferenceReservation', params)
          : second.call('addConferenceReservation', params);
      }),
    );
    const winners = answers.filter((a) => a.code === 0);
    expect(winners).toHaveLength(1);
    const losers = answers.filter((a) => a.code !== 0);
    expect(losers).toHaveLength(19);
    for (const loser of losers) expect([1, 2], loser.message).toContain(loser.code);

    const data = await server.call('getConferenceData', { conferenceUID: conference });
    expect(data.value.reservation).toHaveLength(2);
    expect(data.value.reservation[1].UID).toBe(winners[0]!.value.UID);
  });

  it('lets parallel moves of two reservations into the same free slot leave them apart', async () => {
    const conference = await createReservedConference(server, [
      { startDate: '2026.03.01 09:00:00', duration: 30 },
      { startDate: '2026.03.01 11:00:00', duration: 30 },
    ]);
    const view = await server.call('getConference', { conferenceUID: conference });
    const [a, b] = view.value.reservations as string[];
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const params = { reservationUID: i % 2 === 0 ? a! : b!, startDate: '2026.03.02 10:00:00' };
        return i % 4 < 2
          ? server.call('updateConferenceReservation', params)
          : second.call('updateConferenceReservation', params);
      }),
    );
    for (const answer of answers) expect([0, 1], answer.message).toContain(answer.code);
    const data = await server.call('getConferenceData', { conferenceUID: conference });
    const starts = data.value.reservation.map((r: { startTime: string }) => r.startTime);
    expect(starts.filter((s: string) => s === 'Mon Mar 02 10:00:00 UTC 2026')).toHaveLength(1);
  });

  it('never removes both of the last two reservations when removals race', async () => {
    const conference = await createReservedConference(server, [
      { startDate: '2026.04.01 09:00:00', duration: 30 },
      { startDate: '2026.04.02 09:00:00', duration: 30 },
    ]);
    const view = await server.call('getConference', { conferenceUID: conference });
    const [a, b] = view.value.reservations as string[];
    const answers = await Promise.all([
      server.call('removeConferenceReservation', { reservationUID: a! }),
      second.call('removeConferenceReservation', { reservationUID: b! }),
    ]);
    expect(answers.map((x) => x.code).sort()).toEqual([0, 2]);
    const after = await server.call('getConference', { conferenceUID: conference });
    expect(after.value.reservations).toHaveLength(1);
  });
});
