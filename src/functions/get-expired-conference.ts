import { conferenceListFunction } from './conference-list.js';

/** getExpiredConference: "conferences that have expired" (spec): status CLOSED, most recently ended first. */
export const getExpiredConference = conferenceListFunction(
  'getExpiredConference',
  'CLOSED',
  'Reserved conferences whose last reservation has ended.',
);
