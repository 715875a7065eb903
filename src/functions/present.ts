/** How handlers present conferences: in the customer's zone, with the public URL. */
import type { CallContext } from '../context.js';
import type { ConferenceView } from '../domain/conferences.js';
import { presentConference, type ConferencePresentation } from '../presenters/conference.js';
import type { TreeObject } from '../protocol/tree.js';

export function presentation(ctx: CallContext): ConferencePresentation {
  return { timeZone: ctx.customer.time_zone, publicUrl: ctx.services.config.publicUrl };
}

export function conferenceResult(ctx: CallContext, view: ConferenceView): TreeObject {
  return presentConference(view, presentation(ctx));
}
