import { conferenceListFunction } from './conference-list.js';

/** getUpcomingConference: "conferences that are upcoming" (spec): status SCHED, soonest next start first. */
export const getUpcomingConference = conferenceListFunction(
  'getUpcomingConference',
  'SCHED',
  'Reserved conferences whose next reservation is ahead.',
);
