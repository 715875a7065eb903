import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContext } from '../context.js';
import { cancelConference, createReservationless } from '../domain/conferences.js';
import { authenticate } from '../domain/customers.js';
import { createReserved } from '../domain/reservations.js';
import { createConference, parseXml, startTestServer, testEpoch, type TestServer } from '../../test/harness.js';
import { conferenceLists, startCall, type ListName } from '../../test/lists.js';
import { utcText } from '../../test/reservations.js';

const minute = 60_000;
const hour = 60 * minute;

/** The calling customer as domain code sees it, to seed many conferences without HTTP. */
async function contextOf(server: TestServer): Promise<CallContext> {
  const { customer, key } = server.credentials;
  return { services: server.services, customer: await authenticate(server.services, customer, key) };
}

/** A reserved conference with one reservation starting at `start`, through the domain. */
async function reservedAt(ctx: CallContext, start: number, minutes: number): Promise<string> {
  const created = await createReserved(ctx, {
    name: 'Paged',
    items: [{ number: '1', startDate: utcText(start), duration: String(minutes) }],
  });
  return created.view.row.uid;
}

/** Reads a list to its end, `limit` at a time; returns the UIDs in order and the number of pages. */
async function readAllPages(server: TestServer, fn: ListName, limit: number) {
  const uids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const answer = await server.call(fn, cursor === undefined ? { limit } : { limit, cursor });
    expect(answer.code, answer.message).toBe(0);
    expect(answer.message).toBe('');
    expect(answer.value.conference.length).toBeLessThanOrEqual(limit);
    for (const c of answer.value.conference) {
      expect(c.status).toBe(conferenceLists[fn]);
      uids.push(c.UID as string);
    }
    cursor = answer.value.nextCursor as string | undefined;
    if (cursor !== undefined) expect(answer.value.conference).toHaveLength(limit);
    pages++;
  } while (cursor !== undefined && pages < 1000);
  return { uids, pages };
}

describe('reading the five lists page by page', () => {
  let server: TestServer;
  const members: Record<ListName, string[]> = {
    getActiveConference: [],
    getPossibleConference: [],
    getUpcomingConference: [],
    getExpiredConference: [],
    getCanceledConference: [],
  };

  beforeAll(async () => {
    server = await startTestServer();
    const ctx = await contextOf(server);
    // Ties on purpose (the clock stands still; several reservations share a start): the UID breaks them.
    server.clock.set(testEpoch - 3 * hour);
    for (let i = 0; i < 11; i++) {
      members.getExpiredConference.push(await reservedAt(ctx, testEpoch - 2 * hour - (i % 3) * 10 * minute, 30));
    }
    server.clock.set(testEpoch);
    for (let i = 0; i < 11; i++) {
      members.getUpcomingConference.push(await reservedAt(ctx, testEpoch + hour + (i % 4) * hour, 30));
    }
    for (let i = 0; i < 11; i++) {
      const uid = await reservedAt(ctx, testEpoch + 48 * hour, 30);
      await cancelConference(ctx, uid);
      members.getCanceledConference.push(uid);
    }
    for (let i = 0; i < 11; i++) {
      const uid = (await createReservationless(ctx, { name: 'Live' })).row.uid;
      await startCall(server, uid, `CALL${String(i).padStart(12, '0')}`);
      members.getActiveConference.push(uid);
    }
    for (let i = 0; i < 6; i++) {
      members.getPossibleConference.push(await reservedAt(ctx, testEpoch + (1 + (i % 2)) * 5 * minute, 30));
      members.getPossibleConference.push((await createReservationless(ctx, {})).row.uid);
    }
  }, 60_000);
  afterAll(() => server.close());

  for (const fn of Object.keys(conferenceLists) as ListName[]) {
    it(`${fn} read 4 at a time gives every conference once, in the order of the whole list`, async () => {
      const whole = await server.call(fn);
      expect(whole.value).not.toHaveProperty('nextCursor');
      const wholeUids = whole.value.conference.map((c: { UID: string }) => c.UID);
      expect([...wholeUids].sort()).toEqual([...members[fn]].sort());

      const { uids, pages } = await readAllPages(server, fn, 4);
      expect(uids).toEqual(wholeUids);
      expect(pages).toBe(Math.ceil(wholeUids.length / 4));
    });
  }

  it('a limit larger than the list gives it whole, without nextCursor', async () => {
    const answer = await server.call('getUpcomingConference', { limit: 1000 });
    expect(answer.value.conference).toHaveLength(11);
    expect(answer.value).not.toHaveProperty('nextCursor');
  });

  it('in XML, nextCursor is an element after the conferences', async () => {
    const xml = await server.callXml('getCanceledConference', { limit: 2 });
    const doc = parseXml(xml).document;
    expect(doc.code).toBe('0');
    expect(xml).toMatch(/<\/conference><nextCursor>[A-Za-z0-9_.-]+<\/nextCursor><\/value>/);
    const next = await server.call('getCanceledConference', { limit: 2, cursor: doc.value.nextCursor });
    expect(next.code).toBe(0);
    expect(next.value.conference).toHaveLength(2);
  });

  it.each([
    ['limit 0', { limit: 0 }, /limit/],
    ['limit 1001', { limit: 1001 }, /limit/],
    ['limit "ten"', { limit: 'ten' }, /limit/],
    ['a made-up cursor', { cursor: 'bm90LWEtY3Vyc29y.AAAAAAAAAAA' }, /cursor is not one this list gave/],
    ['a cursor over 512 characters', { cursor: 'A'.repeat(513) }, /cursor/],
  ])('%s is a -2', async (_, params, message) => {
    const answer = await server.call('getUpcomingConference', params);
    expect(answer.code).toBe(-2);
    expect(answer.message).toMatch(message);
    expect(answer.value).toBeNull();
  });

  it("another list's cursor is a -2", async () => {
    const upcoming = await server.call('getUpcomingConference', { limit: 1 });
    const cursor = upcoming.value.nextCursor as string;
    expect(cursor).toBeTruthy();
    const answer = await server.call('getExpiredConference', { cursor });
    expect(answer.code).toBe(-2);
    expect(answer.message).toMatch(/cursor is not one this list gave/);
  });

  it("another customer's pages hold only its own conferences", async () => {
    const other = await server.addCustomer({ name: 'Other' });
    const upcoming = await server.call('getUpcomingConference', { limit: 1 });
    const theirs = await server.call(
      'getUpcomingConference',
      { limit: 5, cursor: upcoming.value.nextCursor },
      { as: other },
    );
    expect(theirs.code).toBe(0);
    expect(theirs.value.conference).toEqual([]);
  });
});

describe('a list of 2,500 conferences', () => {
  let server: TestServer;
  const all = new Set<string>();
  beforeAll(async () => {
    server = await startTestServer();
    const ctx = await contextOf(server);
    // getPossibleConference: 1,300 reserved conferences inside their window (13 distinct starts),
    // then 1,200 reservationless ones — both parts of the IDLE list, and a page across the seam.
    for (let i = 0; i < 1300; i++) all.add(await reservedAt(ctx, testEpoch + (1 + (i % 13)) * minute, 30));
    for (let i = 0; i < 1200; i++) {
      if (i % 100 === 0) server.clock.advance(1000);
      all.add((await createReservationless(ctx, {})).row.uid);
    }
    await createConference(server, { name: 'One more, canceled' }).then((uid) =>
      server.call('cancelConference', { conference: uid }),
    );
  }, 300_000);
  afterAll(() => server.close());

  it('is read to the end with cursors, every conference exactly once', async () => {
    expect(all.size).toBe(2500);
    const { uids, pages } = await readAllPages(server, 'getPossibleConference', 300);
    expect(pages).toBe(9);
    expect(uids).toHaveLength(2500);
    expect(new Set(uids)).toEqual(all);

    // The pages follow the order of the whole list, whose first 1,000 are what a client sending neither gets.
    const whole = await server.call('getPossibleConference');
    expect(whole.message).toBe('more than 1000 conferences are IDLE; the first 1000 are listed');
    expect(whole.value).not.toHaveProperty('nextCursor');
    expect(whole.value.conference.map((c: { UID: string }) => c.UID)).toEqual(uids.slice(0, 1000));
  }, 120_000);

  it('a cursor alone reads on 1,000 at a time', async () => {
    const first = await server.call('getPossibleConference', { limit: 1000 });
    const second = await server.call('getPossibleConference', { cursor: first.value.nextCursor });
    expect(second.value.conference).toHaveLength(1000);
    const third = await server.call('getPossibleConference', { cursor: second.value.nextCursor });
    expect(third.value.conference).toHaveLength(500);
    expect(third.value).not.toHaveProperty('nextCursor');
  }, 60_000);
});
