import { z } from 'zod';
import { removeReservation } from '../domain/reservations.js';
import { presentReservation } from '../presenters/reservation.js';
import { uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/**
 * removeConferenceReservation. The spec does not say what it returns: Baton
 * returns the removed reservation as it was (as removePerson does).
 */
export const removeConferenceReservation = defineFunction({
  name: 'removeConferenceReservation',
  kind: 'command',
  summary: 'Removes a future reservation from a conference that has others.',
  result: 'Reservation',
  params: z.object({ reservationUID: uid() }),
  codes: {
    1: 'Conference is reservationless',
    2: 'Last reservation of conference, cannot remove.',
    3: 'Reservation is already past.',
    4: 'Reservation is currently active.',
  },
  async handle(ctx, p) {
    return presentReservation(await removeReservation(ctx, p.reservationUID), ctx.customer.time_zone);
  },
});
