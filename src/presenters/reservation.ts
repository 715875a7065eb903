/** The Reservation object (spec: UID, conferenceUID, estimateCaller, startTime, endTime, duration). */
import { formatOptionalDateTime } from '../domain/time.js';
import type { ReservationRow } from '../store/reservation.repository.js';
import type { TreeObject } from '../protocol/tree.js';

export function presentReservation(row: ReservationRow, timeZone: string): TreeObject {
  return {
    UID: row.uid,
    conferenceUID: row.conference_uid,
    estimateCaller: row.estimated_callers,
    startTime: formatOptionalDateTime(row.start_at, timeZone),
    endTime: formatOptionalDateTime(row.end_at, timeZone),
    duration: row.duration,
  };
}
