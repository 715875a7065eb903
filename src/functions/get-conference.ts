import { z } from 'zod';
import { loadConference } from '../domain/conferences.js';
import { uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';
import { readAheadText } from '../store/conference-view.repository.js';
import { cachedAnswer } from '../store/prepared.js';
import { conferenceResult } from './present.js';

/**
 * getConference: "data about the conference and related UIDs only". The
 * presented answer is cached per customer, conference, time zone and public
 * URL until the clock reaches the next instant its status could move: on
 * SQLite until the customer or the conference changes in any process, on
 * PostgreSQL while the view this request read (with its credentials) is the
 * one the answer was built from.
 */
export const getConference = defineFunction({
  name: 'getConference',
  kind: 'information',
  summary: 'A conference, with its persons, reservations and calls as UIDs.',
  result: 'Conference',
  params: z.object({ conferenceUID: uid() }),
  readsView: (p) => ({ kind: 'conference', uid: p.conferenceUID }),
  handle(ctx, p) {
    const { customer, services, readAhead } = ctx;
    const key = `getConference\u0000${customer.uid}\u0000${p.conferenceUID}\u0000${customer.time_zone}\u0000${services.config.publicUrl}`;
    return cachedAnswer(
      services.store.db,
      key,
      [customer.uid, p.conferenceUID],
      async () => {
        const view = await loadConference(ctx, p.conferenceUID);
        return { value: conferenceResult(ctx, view), until: view.statusValidUntil ?? -Infinity };
      },
      () => services.clock.now(),
      // PostgreSQL: the view this request read with its credentials (the answer shows no other customer field).
      readAheadText(readAhead, 'conference', customer.uid, p.conferenceUID),
    );
  },
});
