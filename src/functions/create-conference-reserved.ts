import { z } from 'zod';
import { createReserved, maxReservationCount, type ReservationItemText } from '../domain/reservations.js';
import { requiredInteger } from '../protocol/params.js';
import { defineFunction, ResultWithMessage } from '../protocol/api-function.js';
import { conferenceOverrides } from './create-conference-reservationless.js';
import { conferenceResult } from './present.js';

const itemFields = ['estimatedCallers', 'startDate', 'duration'] as const;

/**
 * The numbered items `estimatedCallers<#>`, `startDate<#>`, `duration<#>`:
 * numbered 1..reservationCount, or 0..reservationCount-1 when item 0 is present.
 */
export function collectReservationItems(params: Readonly<Record<string, unknown>>, count: number) {
  const text = (name: string) => {
    const value = params[name];
    return typeof value === 'string' ? value : undefined;
  };
  const present = (n: number) => itemFields.some((f) => (text(`${f}${n}`) ?? '').trim() !== '');
  const first = present(0) ? 0 : 1;
  return Array.from({ length: count }, (_, i): ReservationItemText => {
    const number = String(first + i);
    return {
      number,
      estimatedCallers: text(`estimatedCallers${number}`),
      startDate: text(`startDate${number}`),
      duration: text(`duration${number}`),
    };
  });
}

/**
 * createConferenceReserved: "The conference will be created if at least one of
 * the supplied reservation items are valid." Skipped items are named in the
 * envelope's `message` (code 0); none valid is code 1.
 */
export const createConferenceReserved = defineFunction({
  name: 'createConferenceReserved',
  kind: 'command',
  summary: 'Creates a conference with one or more scheduled reservations.',
  result: 'Conference',
  // Loose: the numbered items (startDate1, duration1, …) are read by collectReservationItems.
  params: z.looseObject({ ...conferenceOverrides, reservationCount: requiredInteger(1, maxReservationCount) }).meta({
    // For the OpenAPI document: the numbered items, 1..reservationCount (or from 0).
    patternProperties: {
      '^estimatedCallers\\d+$': { type: 'string', description: 'Estimated callers of reservation <#>' },
      '^startDate\\d+$': { type: 'string', description: 'Start of reservation <#>, yyyy.MM.dd HH:mm:ss' },
      '^duration\\d+$': { type: 'string', description: 'Minutes of reservation <#>, rounded up to 15' },
    },
  }),
  codes: { 1: 'No valid reservation was found.' },
  async handle(ctx, p) {
    const items = collectReservationItems(p, p.reservationCount);
    const { view, skipped } = await createReserved(ctx, { ...p, items });
    const result = conferenceResult(ctx, view);
    if (skipped.length === 0) return result;
    return new ResultWithMessage(result, `skipped ${skipped.length} reservation item(s): ${skipped.join('; ')}`);
  },
});
