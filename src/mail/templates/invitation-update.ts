/**
 * Calendar updates for self-registered persons: a new schedule (METHOD:REQUEST
 * with a higher SEQUENCE, plus METHOD:CANCEL for reservations that are gone),
 * or the whole conference canceled (METHOD:CANCEL).
 */
import type { TimedSlot } from '../../domain/schedule.js';
import { renderBody, type MailMessage } from '../message.js';
import { calendarFor, greeting, joinFacts, scheduleSection, type RegistrationFacts } from './facts.js';

export function scheduleChangedMail(
  facts: RegistrationFacts,
  removed: readonly TimedSlot[],
  sequence: number,
): MailMessage {
  const body = renderBody({
    greeting: greeting(facts),
    paragraphs: [`The schedule of “${facts.conference.name}” has changed. Your PIN stays the same.`],
    schedule: { ...scheduleSection(facts), heading: `New schedule (${facts.timeZone})` },
    facts: joinFacts(facts),
  });
  const canceled = removed.length > 0 ? calendarFor(facts, 'CANCEL', removed, sequence) : undefined;
  return {
    to: facts.person.email,
    subject: `Schedule changed: ${facts.conference.name}`,
    ...body,
    calendar: facts.slots.length > 0 ? calendarFor(facts, 'REQUEST', facts.slots, sequence) : canceled,
    attachments: facts.slots.length > 0 && canceled ? [{ ...canceled, filename: 'canceled-sessions.ics' }] : undefined,
  };
}

export function conferenceCanceledMail(
  facts: RegistrationFacts,
  withdrawn: readonly TimedSlot[],
  sequence: number,
): MailMessage {
  const body = renderBody({
    greeting: greeting(facts),
    paragraphs: [`“${facts.conference.name}” has been canceled. Your PIN no longer works.`],
    schedule: { ...scheduleSection(facts, withdrawn), heading: `Canceled sessions (${facts.timeZone})` },
    facts: [],
  });
  return {
    to: facts.person.email,
    subject: `Canceled: ${facts.conference.name}`,
    ...body,
    calendar: withdrawn.length > 0 ? calendarFor(facts, 'CANCEL', withdrawn, sequence) : undefined,
  };
}
