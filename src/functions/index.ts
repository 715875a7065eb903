/** Every /_access function, by name. A new function is one file plus one line here. */
import type { ApiFunction } from '../protocol/api-function.js';
import { addConferenceReservation } from './add-conference-reservation.js';
import { addPerson } from './add-person.js';
import { cancelConference } from './cancel-conference.js';
import { createConferenceReservationless } from './create-conference-reservationless.js';
import { createConferenceReserved } from './create-conference-reserved.js';
import { getConference } from './get-conference.js';
import { getConferenceData } from './get-conference-data.js';
import { getConferenceReservation } from './get-conference-reservation.js';
import { getCustomer } from './get-customer.js';
import { removePerson } from './remove-person.js';
import { updateConference } from './update-conference.js';
import { updateCustomValue } from './update-custom-value.js';
import { updateCustomer } from './update-customer.js';
import { updatePerson } from './update-person.js';

export const apiFunctions: readonly ApiFunction[] = [
  // Information requests
  getCustomer,
  getConference,
  getConferenceData,
  getConferenceReservation,
  // Command requests
  updateCustomer,
  createConferenceReservationless,
  createConferenceReserved,
  addConferenceReservation,
  addPerson,
  updatePerson,
  removePerson,
  cancelConference,
  updateConference,
  updateCustomValue,
] as readonly ApiFunction[];
