import { conferenceListFunction } from './conference-list.js';

/** getCanceledConference: "conferences that were canceled" (spec): status CANCEL, most recently canceled first. */
export const getCanceledConference = conferenceListFunction('getCanceledConference', 'CANCEL', 'Canceled conferences.');
