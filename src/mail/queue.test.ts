import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testEpoch, type TestServer } from '../../test/harness.js';
import { createConferenceAt } from '../../test/reservations.js';
import { startSmtpPeer, type SmtpPeer } from '../../test/smtp-peer.js';
import { claimDueMail, listMail } from '../store/mail.repository.js';
import { JobRunner } from '../jobs/runner.js';
import { leaseMs, retryDelay } from './queue.js';
import { createMailTransport } from './transport.js';

async function selfRegister(server: TestServer, conference: string, email: string): Promise<void> {
  const query = new URLSearchParams({ name: 'Queue test', email }).toString();
  const response = await fetch(`${server.url}/conference/register/${conference}?${query}`, { redirect: 'manual' });
  expect(response.status).toBe(303);
}

describe('mail queue delivery', () => {
  let smtp: SmtpPeer;
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer({ jobs: true, config: { smtpUrl: smtp.url, registrationLimit: 0 } });
    ({ uid: conference } = await createConferenceAt(server, 'Queue', [
      { start: testEpoch + 10 * 86_400_000, minutes: 60 },
    ]));
  });
  afterAll(async () => {
    await server.close();
    await smtp.close();
  });

  const rowFor = async (email: string) => {
    const rows = await listMail(server.services.store.db, server.credentials.customer, { recipient: email });
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  it('retries a message the SMTP server refused, with backoff, and sends it later exactly once', async () => {
    const before = smtp.received.length;
    smtp.failNext(1);
    await selfRegister(server, conference, 'retry@example.org');
    await server.jobs!.whenIdle();
    expect(smtp.received.length).toBe(before);
    const failed = await rowFor('retry@example.org');
    expect(failed).toMatchObject({ status: 'queued', attempts: 1 });
    expect(failed.last_error).toContain('451');
    expect(failed.next_attempt_at).toBe(server.clock.now() + retryDelay(1));

    // Not due yet: nothing is sent.
    await server.jobs!.runOnce(server.clock.now() + retryDelay(1) - 1);
    expect(smtp.received.length).toBe(before);

    server.clock.advance(retryDelay(1));
    await server.jobs!.runOnce(server.clock.now());
    const sent = smtp.received.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toEqual(['retry@example.org']);
    expect(await rowFor('retry@example.org')).toMatchObject({ status: 'sent', attempts: 2 });
    await server.jobs!.runOnce(server.clock.now() + 3_600_000);
    expect(smtp.received.slice(before)).toHaveLength(1);
  });

  it('logs every failed attempt at warn with the message’s UID and the SMTP reply, never its body or address', async () => {
    const lines: { level: string; details: Record<string, unknown>; message: string }[] = [];
    const record = (level: string) => (details: object, message: string) =>
      lines.push({ level, details: details as Record<string, unknown>, message });
    const runner = server.jobs!;
    const previous = runner.log;
    runner.log = { error: record('error'), warn: record('warn') };
    try {
      smtp.failNext(1);
      await selfRegister(server, conference, 'logged@example.org');
      await runner.whenIdle();
      await runner.runOnce(server.clock.now());
      const row = await rowFor('logged@example.org');
      expect(row).toMatchObject({ status: 'queued', attempts: 1 });
      const warned = lines.filter((l) => l.level === 'warn');
      expect(warned).toHaveLength(1);
      expect(warned[0]!.message).toBe('mail delivery failed; will retry');
      expect(warned[0]!.details).toMatchObject({ mail: row.uid, kind: 'confirmation', attempt: 1, transport: 'smtp' });
      expect(String(warned[0]!.details.error)).toContain('451');
      const text = JSON.stringify(lines);
      expect(text).not.toContain('logged@example.org');
      expect(text).not.toContain(JSON.parse(row.message!).text.slice(0, 40));
    } finally {
      runner.log = previous;
    }
  });

  it('backs off exponentially up to an hour', () => {
    expect([1, 2, 3, 4, 7, 8, 50].map(retryDelay)).toEqual([
      60_000, 120_000, 240_000, 480_000, 3_600_000, 3_600_000, 3_600_000,
    ]);
  });

  it('does not lose a message whose worker died between claim and send', async () => {
    // A server whose app has no job runner: registration queues, nothing sends until we say.
    const quiet = await startTestServer({ config: { smtpUrl: smtp.url, registrationLimit: 0 } });
    const runner = new JobRunner(quiet.services, createMailTransport(quiet.services.config), { intervalMs: 0 });
    try {
      const { uid } = await createConferenceAt(quiet, 'Crash', [{ start: testEpoch + 10 * 86_400_000, minutes: 15 }]);
      await selfRegister(quiet, uid, 'crash@example.org');
      const now = quiet.clock.now();
      // A worker claims it… and dies before sending.
      const claimed = await claimDueMail(quiet.services.store.db, quiet.services.store.dialect, now, leaseMs, 50);
      expect(claimed.map((r) => [r.recipient, r.status, r.attempts])).toEqual([['crash@example.org', 'sending', 1]]);
      const before = smtp.received.length;
      // While the lease holds, nobody else sends it.
      await runner.runOnce(now + leaseMs - 1);
      expect(smtp.received.length).toBe(before);
      // Once it lapses, the next pass does, once.
      await runner.runOnce(now + leaseMs);
      await runner.runOnce(now + leaseMs + 1);
      expect(smtp.received.slice(before).map((m) => m.to)).toEqual([['crash@example.org']]);
      const [row] = await listMail(quiet.services.store.db, quiet.credentials.customer);
      expect(row).toMatchObject({ status: 'sent', attempts: 2 });
    } finally {
      await runner.stop();
      await quiet.close();
    }
  });

  it('keeps a message queued with its error while the SMTP server is unreachable', async () => {
    // Nothing listens on port 9 of loopback.
    const unreachable = await startTestServer({
      jobs: true,
      config: { smtpUrl: 'smtp://127.0.0.1:9', registrationLimit: 0 },
    });
    try {
      const { uid } = await createConferenceAt(unreachable, 'Down', [{ start: testEpoch + 86_400_000, minutes: 15 }]);
      await selfRegister(unreachable, uid, 'down@example.org');
      await unreachable.jobs!.whenIdle();
      const [row] = await listMail(unreachable.services.store.db, unreachable.credentials.customer);
      expect(row).toMatchObject({ status: 'queued', attempts: 1, recipient: 'down@example.org' });
      expect(row!.last_error).toMatch(/ECONNREFUSED|connect/i);
    } finally {
      await unreachable.close();
    }
  });

  it('drops a reminder that could not be sent before its reservation started', async () => {
    const hour = 3_600_000;
    const start = server.clock.now() + 3 * hour;
    const { uid } = await createConferenceAt(server, 'Expiring', [{ start, minutes: 30 }]);
    server.clock.advance(-2 * hour);
    await selfRegister(server, uid, 'late@example.org');
    server.clock.advance(2 * hour);
    await server.jobs!.whenIdle();
    const before = smtp.received.length;
    smtp.failNext(100);
    await server.jobs!.runOnce(start - hour);
    const rows = await listMail(server.services.store.db, server.credentials.customer, {
      recipient: 'late@example.org',
      kind: 'reminder-2h',
    });
    expect(rows).toMatchObject([{ status: 'queued', attempts: 1 }]);
    await server.jobs!.runOnce(start);
    smtp.failNext(0);
    const [expired] = await listMail(server.services.store.db, server.credentials.customer, {
      recipient: 'late@example.org',
      kind: 'reminder-2h',
    });
    expect(expired).toMatchObject({ status: 'expired', attempts: 2 });
    expect(smtp.received.length).toBe(before);
  });
});
