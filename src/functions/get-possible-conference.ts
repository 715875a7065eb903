import { conferenceListFunction } from './conference-list.js';

/**
 * getPossibleConference: "conferences that are currently possible to start"
 * (spec): status IDLE — reserved ones inside a reservation window (soonest
 * start first), then reservationless ones (newest first).
 */
export const getPossibleConference = conferenceListFunction(
  'getPossibleConference',
  'IDLE',
  'Conferences that could start now.',
);
