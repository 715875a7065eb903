import { z } from 'zod';
import { getReservation } from '../domain/reservations.js';
import { presentReservation } from '../presenters/reservation.js';
import { uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/** getConferenceReservation: "the data associated with the conference reservation". */
export const getConferenceReservation = defineFunction({
  name: 'getConferenceReservation',
  kind: 'information',
  summary: 'A reservation of a conference.',
  result: 'Reservation',
  params: z.object({ reservationUID: uid() }),
  async handle(ctx, p) {
    return presentReservation(await getReservation(ctx, p.reservationUID), ctx.customer.time_zone);
  },
});
