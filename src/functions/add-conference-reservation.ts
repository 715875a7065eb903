import { z } from 'zod';
import { addReservation, maxDurationMinutes } from '../domain/reservations.js';
import { presentReservation } from '../presenters/reservation.js';
import { optionalText, requiredDateTime, requiredInteger, uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/**
 * addConferenceReservation. The spec says it "returns a conference schedule
 * object", which it never defines: Baton returns the new Reservation.
 */
export const addConferenceReservation = defineFunction({
  name: 'addConferenceReservation',
  kind: 'command',
  summary: 'Adds a reservation to a reserved conference.',
  result: 'Reservation',
  params: z.object({
    conference: uid(),
    startDate: requiredDateTime(),
    duration: requiredInteger(1, maxDurationMinutes),
    // Validated in the domain: an invalid count is the spec's code 3, not -2.
    estimatedCallers: optionalText(20),
  }),
  codes: {
    1: 'Reservation start time over lapse with another.',
    2: 'Reservation duration over lapse with another.',
    3: 'Estimated caller size is invalid',
    4: 'Cannot add conference reservation to reservationless conference',
  },
  async handle(ctx, p) {
    return presentReservation(await addReservation(ctx, p), ctx.customer.time_zone);
  },
});
