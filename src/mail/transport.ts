/**
 * The mail adapter (nodemailer): with SMTP_URL, messages go to that SMTP
 * server; without it, each message is written as an .eml file into
 * MAIL_OUTBOX_DIR — the embedded default, readable by any mail client.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Transporter } from 'nodemailer';
import type { Config } from '../config.js';
import type { MailMessage } from './message.js';

/** Identifies a queued message, so a retry of the same message is recognisable. */
export interface Envelope {
  /** The queue row's UID: also the outbox file name, so a resend overwrites, never duplicates. */
  id: string;
  createdAt: number;
  /** What the message is about (confirmation, reminder-24h …), sent as the X-Baton-Mail header. */
  kind: string;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  /** Sends one message; resolves with its Message-ID, rejects when it was not accepted. */
  send(message: MailMessage, envelope: Envelope): Promise<string>;
  close(): void;
}

/** Builds nodemailer's message options from a rendered message. */
function mailOptions(from: string, message: MailMessage, envelope: Envelope) {
  return {
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    textEncoding: 'quoted-printable' as const,
    date: new Date(envelope.createdAt),
    headers: { 'X-Baton-Mail': envelope.kind },
    icalEvent: message.calendar
      ? { method: message.calendar.method, content: message.calendar.content, filename: 'invite.ics' }
      : undefined,
    attachments: (message.attachments ?? []).map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: `text/calendar; method=${a.method}; charset=UTF-8`,
    })),
  };
}

/**
 * A nodemailer transporter made on the first message, not at start: most
 * processes (each cluster worker, the CLI) never send one, and nodemailer's
 * modules are about 2 MB of heap and 2.6 MB of resident memory in each
 * process that loads them. `close` before any message loads nothing.
 */
function lazyTransporter(options: () => Parameters<typeof import('nodemailer').createTransport>[0]) {
  let made: Promise<Transporter> | undefined;
  let closed = false;
  return {
    get: () =>
      (made ??= import('nodemailer').then(({ default: nodemailer }) => {
        const transporter = nodemailer.createTransport(options());
        // Closed while nodemailer was loading: close what was made too.
        if (closed) transporter.close();
        return transporter;
      })),
    close(): void {
      closed = true;
      void made?.then((transporter) => transporter.close());
    },
  };
}

/** SMTP_URL set: an SMTP transport with bounded timeouts, so a stuck server cannot stall the worker. */
function smtpTransport(config: Config, url: string): MailTransport {
  const transporter = lazyTransporter(() => ({
    url,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  }));
  return {
    kind: 'smtp',
    async send(message, envelope) {
      const info = await (await transporter.get()).sendMail(mailOptions(config.mailFrom, message, envelope));
      return info.messageId;
    },
    close: () => transporter.close(),
  };
}

/** No SMTP_URL: one .eml file per message, written whole (temporary file, then rename). */
function outboxTransport(config: Config): MailTransport {
  const transporter = lazyTransporter(() => ({ streamTransport: true, buffer: true, newline: 'windows' }));
  const dir = config.mailOutboxDir;
  return {
    kind: 'outbox',
    async send(message, envelope) {
      const info = await (await transporter.get()).sendMail(mailOptions(config.mailFrom, message, envelope));
      // The messages hold PINs and password links: the folder (when Baton makes it) and
      // every file are the service user's only, whatever the umask.
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const stamp = new Date(envelope.createdAt)
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
      const name = `${stamp}-${envelope.id}.eml`;
      const temporary = join(dir, `.${name}.tmp`);
      writeFileSync(temporary, info.message as Buffer, { mode: 0o600 });
      renameSync(temporary, join(dir, name));
      return info.messageId;
    },
    close: () => transporter.close(),
  };
}

/** The transport the configuration asks for. */
export function createMailTransport(config: Config): MailTransport {
  return config.smtpUrl ? smtpTransport(config, config.smtpUrl) : outboxTransport(config);
}
