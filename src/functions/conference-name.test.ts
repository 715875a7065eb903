/**
 * A conference's name, as createConferenceReservationless and createConferenceReserved take it over
 * real HTTP: a name of spaces alone (or of other invisible characters) is a -2 with nothing written,
 * any other name is kept exactly as sent, and no name (or an empty one) still takes the customer's default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml, startTestServer, type TestServer } from '../../test/harness.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

async function conferenceCount(): Promise<number> {
  const rows = await server.services.store.db
    .selectFrom('conferences')
    .select((eb) => eb.fn.countAll().as('n'))
    .execute();
  return Number(rows[0]!.n);
}

const reserved = {
  reservationCount: '1',
  startDate1: '2026.02.01 17:00:00',
  duration1: '30',
};

describe("a conference's name", () => {
  it('refuses a name of spaces alone (or of invisible characters) with -2, and writes nothing', async () => {
    const before = await conferenceCount();
    for (const name of [' ', '     ', '\t \n', '\u00a0\u3000', '\u200b', '\ufeff ']) {
      for (const [fn, extra] of [
        ['createConferenceReservationless', {}],
        ['createConferenceReserved', reserved],
      ] as const) {
        const answer = await server.call(fn, { name, ...extra });
        expect(answer, `${fn} ${JSON.stringify(name)}`).toEqual({
          code: -2,
          message: 'name must not be blank',
          value: null,
        });
      }
    }
    const xml = parseXml(await server.callXml('createConferenceReservationless', { name: '   ' }));
    expect(xml.document).toMatchObject({ code: '-2', message: 'name must not be blank' });
    expect(await conferenceCount()).toBe(before);
  });

  it('keeps any other name exactly as sent, and an empty or missing one takes the default', async () => {
    const spaced = await server.call('createConferenceReservationless', { name: '  Weekly sync \t' });
    expect(spaced.code).toBe(0);
    expect(spaced.value.name).toBe('  Weekly sync \t');
    const read = await server.call('getConference', { conferenceUID: spaced.value.UID });
    expect(read.value.name).toBe('  Weekly sync \t');

    for (const params of [{ name: '' }, {}] as Record<string, string>[]) {
      const answer = await server.call('createConferenceReservationless', params);
      expect(answer.code).toBe(0);
      expect(answer.value.name).toBe('Test customer conference');
    }
  });
});
