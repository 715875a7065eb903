/** Every /_access function, by name. A new function is one file plus one line here. */
import type { ApiFunction } from '../protocol/api-function.js';
import { addConferenceReservation } from './add-conference-reservation.js';
import { addPerson } from './add-person.js';
import { addWebhook } from './add-webhook.js';
import { cancelConference } from './cancel-conference.js';
import { createConferenceReservationless } from './create-conference-reservationless.js';
import { createConferenceReserved } from './create-conference-reserved.js';
import { getCall } from './get-call.js';
import { getCallData } from './get-call-data.js';
import { getActiveConference } from './get-active-conference.js';
import { getCanceledConference } from './get-canceled-conference.js';
import { getConference } from './get-conference.js';
import { getConferenceData } from './get-conference-data.js';
import { getConferenceReservation } from './get-conference-reservation.js';
import { getCustomer } from './get-customer.js';
import { getEvents } from './get-events.js';
import { getExpiredConference } from './get-expired-conference.js';
import { getPossibleConference } from './get-possible-conference.js';
import { getUpcomingConference } from './get-upcoming-conference.js';
import { getWebhooks } from './get-webhooks.js';
import { removeConferenceReservation } from './remove-conference-reservation.js';
import { removePerson } from './remove-person.js';
import { removeWebhook } from './remove-webhook.js';
import { updateConference } from './update-conference.js';
import { updateConferenceReservation } from './update-conference-reservation.js';
import { updateCustomValue } from './update-custom-value.js';
import { updateCustomer } from './update-customer.js';
import { updatePerson } from './update-person.js';
import { updateWebhook } from './update-webhook.js';

export const apiFunctions: readonly ApiFunction[] = [
  // Information requests
  getCustomer,
  getActiveConference,
  getUpcomingConference,
  getPossibleConference,
  getExpiredConference,
  getCanceledConference,
  getConference,
  getConferenceData,
  getConferenceReservation,
  getCall,
  getCallData,
  // Events and webhooks (Baton's extension)
  getEvents,
  getWebhooks,
  // Command requests
  updateCustomer,
  createConferenceReservationless,
  createConferenceReserved,
  addConferenceReservation,
  updateConferenceReservation,
  removeConferenceReservation,
  addPerson,
  updatePerson,
  removePerson,
  cancelConference,
  updateConference,
  updateCustomValue,
  addWebhook,
  updateWebhook,
  removeWebhook,
] as readonly ApiFunction[];
