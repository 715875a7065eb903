/** What every email about a registration tells: the conference, the person's PIN, the schedule. */
import { describeSlot, type TimedSlot } from '../../domain/schedule.js';
import { buildCalendar, calendarHost } from '../ics.js';
import { addressOf, displayNameOf, type CalendarPart } from '../message.js';

export interface RegistrationFacts {
  conference: { uid: string; name: string; did: string };
  person: { uid: string; name: string; email: string; pin: string };
  /** The timed reservations to show (upcoming ones). */
  slots: readonly TimedSlot[];
  /** The customer's time zone: every time is written in it. */
  timeZone: string;
  publicUrl: string;
  mailFrom: string;
  now: number;
}

/** "Dial-in number" and "PIN", the two things a person needs to join. */
export function joinFacts(facts: RegistrationFacts): [string, string][] {
  const rows: [string, string][] = [];
  if (facts.conference.did) rows.push(['Dial-in number', facts.conference.did]);
  rows.push(['Your PIN', facts.person.pin]);
  return rows;
}

/** The schedule section, in the customer's time zone. */
export function scheduleSection(facts: RegistrationFacts, slots: readonly TimedSlot[] = facts.slots) {
  return {
    heading: `When (${facts.timeZone})`,
    lines: slots.map((s) => describeSlot(s, facts.timeZone)),
  };
}

export function greeting(facts: RegistrationFacts): string {
  return facts.person.name ? `Hello ${facts.person.name},` : 'Hello,';
}

/** An iCalendar part for `slots`, addressed to the person. */
export function calendarFor(
  facts: RegistrationFacts,
  method: CalendarPart['method'],
  slots: readonly TimedSlot[],
  sequence: number,
): CalendarPart {
  const join = joinFacts(facts)
    .map(([label, value]) => `${label}: ${value}`)
    .join('\n');
  return {
    method,
    content: buildCalendar({
      method,
      events: slots,
      sequence,
      host: calendarHost(facts.publicUrl),
      summary: facts.conference.name,
      description: `${facts.conference.name}\n${join}`,
      location: facts.conference.did ? `Phone ${facts.conference.did}, PIN ${facts.person.pin}` : '',
      organizer: { name: displayNameOf(facts.mailFrom), email: addressOf(facts.mailFrom) },
      attendee: { name: facts.person.name, email: facts.person.email },
      now: facts.now,
    }),
  };
}
