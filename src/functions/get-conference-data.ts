import { z } from 'zod';
import { loadConferenceData } from '../domain/conferences.js';
import { presentConferenceData } from '../presenters/conference.js';
import { uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';
import { readAheadText } from '../store/conference-view.repository.js';
import { cachedAnswer } from '../store/prepared.js';
import { presentation } from './present.js';

/** getConferenceData: "all the data associated with the conference and all the child objects". */
export const getConferenceData = defineFunction({
  name: 'getConferenceData',
  kind: 'information',
  summary: 'A conference with its persons, reservations, settings and customer as full objects.',
  result: 'ConferenceData',
  params: z.object({ conferenceUID: uid() }),
  readsView: (p) => ({ kind: 'conferenceData', uid: p.conferenceUID }),
  handle(ctx, p) {
    const { customer, services, readAhead } = ctx;
    // Cached like getConference's answer (SQLite): persons and their custom
    // values are logged under the conference, the customer's under the customer.
    // PostgreSQL: reused for the same view text this request read with its
    // credentials (the held string itself, so comparing it is cheap), and the
    // same customer row, which the answer shows (in the key).
    const content = readAheadText(readAhead, 'conferenceData', customer.uid, p.conferenceUID);
    const key =
      `getConferenceData\u0000${customer.uid}\u0000${p.conferenceUID}\u0000${customer.time_zone}\u0000${services.config.publicUrl}` +
      (content === undefined ? '' : `\u0000${JSON.stringify(customer)}`);
    return cachedAnswer(
      services.store.db,
      key,
      [customer.uid, p.conferenceUID],
      async () => {
        const view = await loadConferenceData(ctx, p.conferenceUID);
        return {
          value: presentConferenceData(view, customer, view.customerCustom, presentation(ctx)),
          until: view.statusValidUntil ?? -Infinity,
        };
      },
      () => services.clock.now(),
      content,
    );
  },
});
