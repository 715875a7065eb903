/** The reminder sent 24 h and 2 h before a reservation starts. */
import { describeSlot, type TimedSlot } from '../../domain/schedule.js';
import { renderBody, type MailMessage } from '../message.js';
import { greeting, joinFacts, type RegistrationFacts } from './facts.js';

export type ReminderKind = 'reminder-24h' | 'reminder-2h';

export function reminderMail(facts: RegistrationFacts, slot: TimedSlot, kind: ReminderKind): MailMessage {
  const when = describeSlot(slot, facts.timeZone);
  const soon = kind === 'reminder-2h' ? 'starts soon' : 'is coming up';
  const body = renderBody({
    greeting: greeting(facts),
    paragraphs: [`A reminder: “${facts.conference.name}” ${soon}.`, `When: ${when} (${facts.timeZone})`],
    facts: joinFacts(facts),
  });
  return { to: facts.person.email, subject: `Reminder: ${facts.conference.name} — ${when}`, ...body };
}
