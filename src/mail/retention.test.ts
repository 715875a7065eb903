/**
 * Mail queue hygiene, with a fake clock: sent bodies (PINs included) are
 * removed after MAIL_RETENTION_DAYS; a message still failing after
 * MAIL_MAX_AGE_HOURS is given up as `failed`; `baton mail list|show|retry`
 * shows the queue and queues a message again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/cli.js';
import { startTestServer, testEpoch, type TestServer } from '../../test/harness.js';
import { createConferenceAt } from '../../test/reservations.js';
import { startSmtpPeer, type SmtpPeer } from '../../test/smtp-peer.js';
import { listMail, strippedBody } from '../store/mail.repository.js';

const hour = 3_600_000;
const day = 24 * hour;

describe('mail retention and the retry cap', () => {
  let smtp: SmtpPeer;
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer({
      jobs: true,
      config: { smtpUrl: smtp.url, registrationLimit: 0, mailRetentionDays: 30, mailMaxAgeHours: 6 },
    });
    ({ uid: conference } = await createConferenceAt(server, 'Hygiene', [{ start: testEpoch + 90 * day, minutes: 60 }]));
  });
  afterAll(async () => {
    await server.close();
    await smtp.close();
  });

  async function register(email: string) {
    const query = new URLSearchParams({ name: 'Hygiene', email }).toString();
    const response = await fetch(`${server.url}/conference/register/${conference}?${query}`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    await server.jobs!.whenIdle();
  }
  const rowFor = async (email: string) => {
    const rows = await listMail(server.services.store.db, server.credentials.customer, { recipient: email });
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };
  const cli = (args: string[]) => runCli(['mail', ...args], { DATABASE_URL: server.database.url });

  it('removes a sent body after MAIL_RETENTION_DAYS and keeps the record', async () => {
    await register('kept@example.org');
    const sent = await rowFor('kept@example.org');
    expect(sent.status).toBe('sent');
    expect(JSON.parse(sent.message).text).toMatch(/PIN/);

    await server.jobs!.runOnce(sent.sent_at! + 30 * day - 1);
    expect((await rowFor('kept@example.org')).message).toBe(sent.message);
    const report = await server.jobs!.runOnce(sent.sent_at! + 30 * day + 1);
    expect(report.stripped).toBe(1);
    const stripped = await rowFor('kept@example.org');
    expect(stripped).toMatchObject({ status: 'sent', message: strippedBody, recipient: 'kept@example.org' });
    expect(stripped.subject).toBe(sent.subject);

    const shown = await cli(['show', sent.uid]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('(body removed after MAIL_RETENTION_DAYS)');
    // A message without its body cannot be resent.
    const retried = await cli(['retry', sent.uid]);
    expect(retried.code).toBe(1);
    expect(retried.stderr).toContain('retention removed its body');
  });

  it('stops retrying after MAIL_MAX_AGE_HOURS and marks the message failed; baton mail retry sends it', async () => {
    smtp.failNext(1000);
    await register('stuck@example.org');
    const queuedAt = (await rowFor('stuck@example.org')).created_at;
    expect(await rowFor('stuck@example.org')).toMatchObject({ status: 'queued', attempts: 1 });

    // Retries every hour at most, until six hours have passed since it was queued.
    for (let at = queuedAt + hour; at < queuedAt + 6 * hour; at += hour) await server.jobs!.runOnce(at);
    const retrying = await rowFor('stuck@example.org');
    expect(retrying.status).toBe('queued');
    await server.jobs!.runOnce(queuedAt + 6 * hour + 1);
    const failed = await rowFor('stuck@example.org');
    expect(failed.status).toBe('failed');
    expect(failed.last_error).toContain('451');
    // Never again by itself.
    await server.jobs!.runOnce(queuedAt + 48 * hour);
    expect(await rowFor('stuck@example.org')).toMatchObject({ status: 'failed', attempts: failed.attempts });

    // The operator sees it…
    const listed = await cli(['list', '--status', 'failed', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ uid: failed.uid, status: 'failed', recipient: 'stuck@example.org', body: 'kept' }),
    ]);
    const table = await cli(['list']);
    expect(table.stdout).toMatch(new RegExp(`${failed.uid}\\s+failed`));
    const shown = await cli(['show', failed.uid]);
    expect(shown.stdout).toContain('status:     failed');
    expect(shown.stdout).toContain('Hygiene');
    expect((await cli(['list', '--status', 'nonsense'])).code).toBe(1);
    expect((await cli(['show', 'NOSUCHMESSAGE000'])).code).toBe(1);

    // …fixes the mail server, and queues it again: the next pass sends it, its age counted afresh.
    smtp.failNext(0);
    const before = smtp.received.length;
    const retried = await cli(['retry', failed.uid]);
    expect(retried.code, retried.stderr).toBe(0);
    const requeued = await rowFor('stuck@example.org');
    expect(requeued.status).toBe('queued');
    await server.jobs!.runOnce(Math.max(server.clock.now(), requeued.next_attempt_at));
    expect(await rowFor('stuck@example.org')).toMatchObject({ status: 'sent' });
    expect(smtp.received.slice(before).map((m) => m.to)).toEqual([['stuck@example.org']]);
  }, 60_000);
});
