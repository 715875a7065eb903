import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, testEpoch, type TestServer } from '../../test/harness.js';
import { moveReservation, createConferenceAt } from '../../test/reservations.js';
import { startSmtpPeer, type ReceivedMail, type SmtpPeer } from '../../test/smtp-peer.js';
import type { Services } from '../context.js';
import { createMailTransport } from '../mail/transport.js';
import { openStore, type Store } from '../store/database.js';
import { JobRunner } from './runner.js';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

/** Registers through the page's instant link (name + email in the query). */
async function selfRegister(server: TestServer, conference: string, name: string, email: string): Promise<void> {
  const query = new URLSearchParams({ name, email }).toString();
  const response = await fetch(`${server.url}/conference/register/${conference}?${query}`, { redirect: 'manual' });
  expect(response.status).toBe(303);
}

function kinds(mails: readonly ReceivedMail[], recipient: string): string[] {
  return mails.filter((m) => m.to.includes(recipient)).map((m) => m.mail.headers['x-baton-mail'] ?? '');
}

describe('reminders with two schedulers on one database', () => {
  let smtp: SmtpPeer;
  let server: TestServer;
  let secondStore: Store;
  let a: JobRunner;
  let b: JobRunner;

  beforeEach(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer({ config: { smtpUrl: smtp.url, registrationLimit: 0 } });
    // Two schedulers, each with its own transport. On PostgreSQL each has its own pool, as two
    // processes would. better-sqlite3 is synchronous: a second connection in this same process
    // would block the thread while waiting for the first one's lock, so on SQLite both share the
    // connection — their statements still interleave, and only the claims keep them apart.
    secondStore = server.database.dialect === 'postgres' ? openStore(server.database.url) : server.services.store;
    const second: Services = { ...server.services, store: secondStore };
    a = new JobRunner(server.services, createMailTransport(server.services.config), { intervalMs: 0 });
    b = new JobRunner(second, createMailTransport(server.services.config), { intervalMs: 0 });
  });
  afterEach(async () => {
    await a.stop();
    await b.stop();
    if (secondStore !== server.services.store) await secondStore.close();
    await server.close();
    await smtp.close();
  });

  /** Both schedulers run, concurrently, at every step from `from` to `to`. */
  async function walk(from: number, to: number, step = 15 * minute): Promise<void> {
    for (let t = from; t <= to; t += step) {
      server.clock.set(t);
      await Promise.all([a.runOnce(t), b.runOnce(t)]);
    }
  }

  it('sends each registered email exactly one 24 h and one 2 h reminder, and none after cancelConference', async () => {
    const start = testEpoch + 3 * day;
    const { uid: kept } = await createConferenceAt(server, 'Board meeting', [{ start, minutes: 60 }]);
    const { uid: canceled } = await createConferenceAt(server, 'Offsite', [{ start: start + hour, minutes: 60 }]);
    for (const conference of [kept, canceled]) {
      await selfRegister(server, conference, 'Ann', `ann@${conference.toLowerCase()}.example`);
      await selfRegister(server, conference, 'Bob', `bob@${conference.toLowerCase()}.example`);
      // Whichever way the person came in (spec): an API registration gets reminders too.
      const added = await server.call('addPerson', {
        conference,
        role: 'PRESENTER',
        name: 'Cy',
        email: `cy@${conference.toLowerCase()}.example`,
      });
      expect(added.code).toBe(0);
      // No email, no reminder.
      expect((await server.call('addPerson', { conference, role: 'PARTICIPANT', name: 'No mail' })).code).toBe(0);
    }

    // Through the 24 h window of both conferences…
    await walk(testEpoch, start - 23 * hour);
    const cancel = await server.call('cancelConference', { conference: canceled });
    expect(cancel.code).toBe(0);
    // …then on past both starts.
    await walk(start - 23 * hour + 15 * minute, start + 3 * hour);

    for (const person of ['ann', 'bob', 'cy']) {
      const keptKinds = kinds(smtp.received, `${person}@${kept.toLowerCase()}.example`);
      expect(keptKinds.filter((k) => k === 'reminder-24h')).toHaveLength(1);
      expect(keptKinds.filter((k) => k === 'reminder-2h')).toHaveLength(1);
      const canceledKinds = kinds(smtp.received, `${person}@${canceled.toLowerCase()}.example`);
      // The 24 h reminder went out before the cancel; no 2 h one after it.
      expect(canceledKinds.filter((k) => k === 'reminder-24h')).toHaveLength(1);
      expect(canceledKinds.filter((k) => k === 'reminder-2h')).toHaveLength(0);
    }
    // Self-registered persons of the canceled conference get one METHOD:CANCEL; the API's person none.
    for (const person of ['ann', 'bob']) {
      const mails = smtp.received.filter(
        (m) =>
          m.to.includes(`${person}@${canceled.toLowerCase()}.example`) &&
          m.mail.headers['x-baton-mail'] === 'invitation-cancel',
      );
      expect(mails).toHaveLength(1);
      expect(mails[0]!.mail.calendars[0]).toContain('METHOD:CANCEL');
      expect(mails[0]!.mail.calendars[0]).toContain('STATUS:CANCELLED');
      expect(mails[0]!.mail.calendars[0]).toContain('SEQUENCE:1');
    }
    expect(kinds(smtp.received, `cy@${canceled.toLowerCase()}.example`)).not.toContain('invitation-cancel');
    // Each reminder names the conference and the person's PIN.
    const data = await server.call('getConferenceData', { conferenceUID: kept });
    const ann = (data.value.person as { email: string; PIN: string }[]).find((p) => p.email.startsWith('ann@'))!;
    const reminder = smtp.received.find(
      (m) => m.to.includes(ann.email) && m.mail.headers['x-baton-mail'] === 'reminder-2h',
    )!;
    expect(reminder.mail.subject).toContain('Board meeting');
    expect(reminder.mail.text).toContain(`Your PIN: ${ann.PIN}`);
  });

  it('gives a moved reservation fresh reminders and sends an .ics update with a higher SEQUENCE', async () => {
    const start = testEpoch + 2 * day;
    const { uid, reservations } = await createConferenceAt(server, 'Moving target', [{ start, minutes: 30 }]);
    await selfRegister(server, uid, 'Dee', 'dee@example.org');
    await walk(testEpoch, start - 20 * hour);
    expect(kinds(smtp.received, 'dee@example.org')).toEqual(['confirmation', 'reminder-24h']);

    const moved = start + 2 * day;
    await moveReservation(server, reservations[0]!, { start: moved, minutes: 45 });
    await walk(start - 20 * hour + 15 * minute, moved + hour);
    expect(kinds(smtp.received, 'dee@example.org')).toEqual([
      'confirmation',
      'reminder-24h',
      'invitation-update',
      'reminder-24h',
      'reminder-2h',
    ]);
    const update = smtp.received.find((m) => m.mail.headers['x-baton-mail'] === 'invitation-update')!;
    const ics = update.mail.calendars[0]!;
    expect(ics).toContain('METHOD:REQUEST');
    expect(ics).toContain('SEQUENCE:1');
    expect(ics).toContain(`UID:${reservations[0]}@127.0.0.1`);
    expect(ics).toContain(`DTSTART:${new Date(moved).toISOString().replace(/[-:]|\.000/g, '')}`);
    expect(update.mail.subject).toBe('Schedule changed: Moving target');
  });

  it('drops a reminder queued while SMTP failed once its reservation moved or its person changed address', async () => {
    const start = testEpoch + 2 * day;
    const { uid, reservations } = await createConferenceAt(server, 'Slipping', [{ start, minutes: 30 }]);
    await selfRegister(server, uid, 'Hal', 'hal@example.org');
    await selfRegister(server, uid, 'Ida', 'ida@example.org');
    await walk(testEpoch, start - 25 * hour);
    // The 24 h reminders are queued while the SMTP peer refuses every message.
    smtp.failNext(1_000_000);
    await walk(start - 24 * hour, start - 23 * hour);
    expect(kinds(smtp.received, 'hal@example.org')).toEqual(['confirmation']);
    const moved = start + 2 * hour;
    await moveReservation(server, reservations[0]!, { start: moved, minutes: 30 });
    const data = await server.call('getConferenceData', { conferenceUID: uid });
    const ida = (data.value.person as { email: string; UID: string }[]).find((p) => p.email === 'ida@example.org')!;
    const readdressed = await server.call('updatePerson', {
      person: ida.UID,
      field: 'email',
      value: 'ida@new.example',
    });
    expect(readdressed.code).toBe(0);
    smtp.failNext(0);
    await walk(start - 23 * hour + 15 * minute, moved + hour);
    // Hal: the reminder written for the old start never goes out; the moved one's two do.
    const halReminders = smtp.received.filter(
      (m) => m.to.includes('hal@example.org') && m.mail.headers['x-baton-mail'] === 'reminder-24h',
    );
    expect(halReminders).toHaveLength(1);
    expect(kinds(smtp.received, 'hal@example.org').filter((k) => k === 'reminder-2h')).toHaveLength(1);
    // Ida: nothing more to the address she left; the new one gets the reminders still to come.
    expect(kinds(smtp.received, 'ida@example.org').filter((k) => k.startsWith('reminder'))).toEqual([]);
    expect(kinds(smtp.received, 'ida@new.example')).toContain('reminder-2h');
  });

  it('after downtime sends only the nearer reminder, and none once the reservation has started', async () => {
    const start = testEpoch + 3 * day;
    const { uid } = await createConferenceAt(server, 'Late', [{ start, minutes: 60 }]);
    const { uid: missed } = await createConferenceAt(server, 'Missed', [{ start: start - 2 * hour, minutes: 60 }]);
    await selfRegister(server, uid, 'Eli', 'eli@example.org');
    await selfRegister(server, missed, 'Eli', 'eli@missed.example');
    await walk(testEpoch, testEpoch);
    // Down from now until 90 minutes before the first start; the other has started by then.
    await walk(start - 90 * minute, start + hour);
    expect(kinds(smtp.received, 'eli@example.org')).toEqual(['confirmation', 'reminder-2h']);
    expect(kinds(smtp.received, 'eli@missed.example')).toEqual(['confirmation']);
  });

  it('sends none to a removed person or while the conference has reminder off', async () => {
    const start = testEpoch + 3 * day;
    const { uid } = await createConferenceAt(server, 'Quiet', [{ start, minutes: 60 }]);
    await selfRegister(server, uid, 'Fay', 'fay@example.org');
    await selfRegister(server, uid, 'Gus', 'gus@example.org');
    const data = await server.call('getConferenceData', { conferenceUID: uid });
    const gus = (data.value.person as { email: string; UID: string }[]).find((p) => p.email === 'gus@example.org')!;
    expect((await server.call('removePerson', { conference: uid, person: gus.UID })).code).toBe(0);
    await walk(testEpoch, start - 12 * hour);
    expect(kinds(smtp.received, 'fay@example.org')).toEqual(['confirmation', 'reminder-24h']);
    expect(kinds(smtp.received, 'gus@example.org')).toEqual(['confirmation']);
    expect((await server.call('updateConference', { conference: uid, field: 'reminder', value: 'false' })).code).toBe(
      0,
    );
    await walk(start - 12 * hour, start + hour);
    expect(kinds(smtp.received, 'fay@example.org')).toEqual(['confirmation', 'reminder-24h']);
  });
});
