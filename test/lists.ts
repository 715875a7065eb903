/** Helpers for tests of the five conference lists. */
import { expect } from 'vitest';
import type { Credentials, TestServer } from './harness.js';

/** Each list function and the status it holds. */
export const conferenceLists = {
  getActiveConference: 'ACTIVE',
  getPossibleConference: 'IDLE',
  getUpcomingConference: 'SCHED',
  getExpiredConference: 'CLOSED',
  getCanceledConference: 'CANCEL',
} as const;

export type ListName = keyof typeof conferenceLists;

/** Every list's answer, by function name. */
export async function readLists(server: TestServer, as?: Credentials): Promise<Record<ListName, any[]>> {
  const out = {} as Record<ListName, any[]>;
  for (const name of Object.keys(conferenceLists) as ListName[]) {
    const answer = await server.call(name, {}, as ? { as } : {});
    expect(answer.code, `${name}: ${answer.message}`).toBe(0);
    out[name] = answer.value.conference;
  }
  return out;
}

/**
 * Which lists hold `conferenceUID`, checking on the way that it is in exactly
 * one, and that every item of every list carries its list's status.
 */
export async function listHolding(server: TestServer, conferenceUID: string): Promise<ListName> {
  const lists = await readLists(server);
  for (const [name, items] of Object.entries(lists)) {
    for (const item of items) expect(item.status, `${item.UID} in ${name}`).toBe(conferenceLists[name as ListName]);
  }
  const holding = (Object.keys(lists) as ListName[]).filter((name) =>
    lists[name].some((c: { UID: string }) => c.UID === conferenceUID),
  );
  expect(holding, `lists holding ${conferenceUID}`).toHaveLength(1);
  return holding[0]!;
}

/** Puts a live call on a conference, as the telephony bridge would. */
export async function startCall(server: TestServer, conferenceUID: string, callUID: string): Promise<void> {
  const { db } = server.services.store;
  const conference = await db
    .selectFrom('conferences')
    .select(['customer_uid', 'settings'])
    .where('uid', '=', conferenceUID)
    .executeTakeFirstOrThrow();
  await db
    .insertInto('calls')
    .values({
      uid: callUID,
      conference_uid: conferenceUID,
      customer_uid: conference.customer_uid,
      status: 'ACTIVE',
      started_at: server.clock.now(),
      settings: conference.settings,
      talking: 0,
      greenroom: 0,
      background_music: 0,
    })
    .execute();
  await db.updateTable('conferences').set({ active_call_uid: callUID }).where('uid', '=', conferenceUID).execute();
}
