import { z } from 'zod';
import { changeReservation, maxDurationMinutes } from '../domain/reservations.js';
import { presentReservation } from '../presenters/reservation.js';
import { optionalDateTime, optionalInteger, optionalText, uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/** updateConferenceReservation: "edits a reservation … returns an updated reservation object." */
export const updateConferenceReservation = defineFunction({
  name: 'updateConferenceReservation',
  kind: 'command',
  summary: 'Moves, lengthens or shortens a reservation, or changes its estimated callers.',
  result: 'Reservation',
  params: z.object({
    reservationUID: uid(),
    startDate: optionalDateTime(),
    duration: optionalInteger(1, maxDurationMinutes),
    // Validated in the domain: an invalid count is the spec's code 3, not -2.
    estimatedCallers: optionalText(20),
  }),
  codes: {
    1: 'Reservation start time over lapse with another.',
    2: 'Reservation duration over lapse with another.',
    3: 'Estimated caller size is invalid',
    4: 'Cannot edit start date or duration of reservationless conference',
  },
  async handle(ctx, p) {
    const { reservationUID, ...change } = p;
    return presentReservation(await changeReservation(ctx, reservationUID, change), ctx.customer.time_zone);
  },
});
