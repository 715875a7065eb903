/** The email to a customer's contacts when one of its webhook endpoints was disabled for failing too long. */
import { renderBody, type MailMessage } from '../message.js';

export interface WebhookDisabledFacts {
  to: string;
  customerName: string;
  endpointUid: string;
  url: string;
  failingSince: Date;
  lastError: string;
  /** The last event delivered: a replay from here loses nothing. */
  deliveredSequence: number;
}

export function webhookDisabledMail(facts: WebhookDisabledFacts): MailMessage {
  // The URL's query may carry the receiver's own token: show only origin and path.
  const shown = (() => {
    try {
      const url = new URL(facts.url);
      return `${url.origin}${url.pathname}`;
    } catch {
      return facts.url;
    }
  })();
  const body = renderBody({
    greeting: `Hello ${facts.customerName},`,
    paragraphs: [
      `Baton stopped delivering events to your webhook endpoint ${facts.endpointUid}: it has failed every attempt since ${facts.failingSince.toISOString()}.`,
      'No event is lost. Once the receiver works again, re-enable the endpoint (updateWebhook with enabled=true) and delivery resumes with the first event it missed, in order.',
    ],
    facts: [
      ['Endpoint', facts.endpointUid],
      ['URL', shown],
      ['Last error', facts.lastError],
      ['Last event delivered', String(facts.deliveredSequence)],
    ],
  });
  return { to: facts.to, subject: `Webhook endpoint disabled: ${shown}`, ...body };
}
