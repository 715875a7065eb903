/** The email a self-registration sends at once: conference, dial-in number, PIN, schedule and an invitation. */
import { renderBody, type MailMessage } from '../message.js';
import { calendarFor, greeting, joinFacts, scheduleSection, type RegistrationFacts } from './facts.js';

/** Renders the confirmation; `sequence` is the invitation's SEQUENCE (0 for a first registration). */
export function confirmationMail(facts: RegistrationFacts, sequence: number): MailMessage {
  const body = renderBody({
    greeting: greeting(facts),
    paragraphs: [`You are registered for “${facts.conference.name}”.`],
    schedule: scheduleSection(facts),
    facts: joinFacts(facts),
    footer: 'Keep this email: you will need the PIN to join the call.',
  });
  return {
    to: facts.person.email,
    subject: `You are registered: ${facts.conference.name}`,
    ...body,
    // A reservationless conference has no times, so no calendar event.
    calendar: facts.slots.length > 0 ? calendarFor(facts, 'REQUEST', facts.slots, sequence) : undefined,
  };
}
