/**
 * Conference status, derived from time at the moment of asking (DESIGN.md):
 * CANCEL once canceled; ACTIVE while a call is live; IDLE when it could start
 * now (reservationless, or inside a reservation's window, which opens
 * `openMs` before the start); SCHED when its next reservation is ahead;
 * CLOSED when every reservation has ended.
 */
export type ConferenceStatus = 'SCHED' | 'ACTIVE' | 'IDLE' | 'CLOSED' | 'CANCEL';

/** What status needs to know of a conference. */
export interface StatusFacts {
  readonly reserved: number | boolean;
  readonly canceled_at: number | null;
  readonly active_call_uid: string | null;
}

/** A reservation's window; reservationless reservations have no times. */
export interface Slot {
  readonly start_at: number | null;
  readonly end_at: number | null;
}

export interface StatusReading {
  status: ConferenceStatus;
  /** The current or next reservation; once all have ended, the last; null when reservationless. */
  scheduledStart: number | null;
  scheduledEnd: number | null;
}

/** Reads a conference's status at `now`. `slots` may be in any order. */
export function readStatus(
  conference: StatusFacts,
  slots: readonly Slot[],
  now: number,
  openMs: number,
): StatusReading {
  const timed = slots
    .filter((s): s is { start_at: number; end_at: number } => s.start_at !== null && s.end_at !== null)
    .sort((a, b) => a.start_at - b.start_at);
  // The current or next reservation, else the last one.
  const current = timed.find((s) => s.end_at > now) ?? timed.at(-1);
  const scheduledStart = current?.start_at ?? null;
  const scheduledEnd = current?.end_at ?? null;
  let status: ConferenceStatus;
  if (conference.canceled_at !== null) status = 'CANCEL';
  else if (conference.active_call_uid !== null) status = 'ACTIVE';
  else if (!conference.reserved) status = 'IDLE';
  else if (!current || current.end_at <= now) status = 'CLOSED';
  else status = current.start_at - openMs <= now ? 'IDLE' : 'SCHED';
  return { status, scheduledStart, scheduledEnd };
}

/**
 * The first instant after `now` at which `readStatus` could answer
 * differently for the same rows: a reservation's window opening (`openMs`
 * before its start: SCHED becomes IDLE) or its end (the current reservation
 * moves on, or the conference closes). Infinity when time alone changes
 * nothing (canceled, in a call, reservationless, or every reservation over).
 * An answer built from a reading may be reused until then, and no later.
 */
export function statusValidUntil(conference: StatusFacts, slots: readonly Slot[], now: number, openMs: number): number {
  if (conference.canceled_at !== null || conference.active_call_uid !== null || !conference.reserved) return Infinity;
  let until = Infinity;
  for (const s of slots) {
    if (s.start_at === null || s.end_at === null) continue;
    const opens = s.start_at - openMs;
    if (opens > now && opens < until) until = opens;
    if (s.end_at > now && s.end_at < until) until = s.end_at;
  }
  return until;
}

/**
 * Whether a conference still holds its persons' PINs: not canceled, and not
 * closed. A closed or canceled conference's PINs return to the pool.
 */
export function holdsPins(conference: StatusFacts & { readonly last_end: number | null }, now: number): boolean {
  if (conference.canceled_at !== null) return false;
  if (conference.active_call_uid !== null || !conference.reserved) return true;
  return conference.last_end !== null && conference.last_end > now;
}
