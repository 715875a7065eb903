import { conferenceListFunction } from './conference-list.js';

/** getActiveConference: "a list of conferences that are currently active" (spec): status ACTIVE, oldest first. */
export const getActiveConference = conferenceListFunction(
  'getActiveConference',
  'ACTIVE',
  'Conferences with a live call.',
);
