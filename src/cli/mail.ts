/**
 * `baton mail list|show|retry`: the operator's view of the mail queue, on the
 * database directly (DATABASE_URL, like the server). `retry` queues a message
 * again — a `failed` one after the mail server is fixed, or a sent one to
 * resend it — and the next job pass of any server sends it.
 */
import type { Command } from 'commander';
import { withServices } from './admin.js';
import { formatTable, terminalSafe, terminalSafeJson } from './output.js';

const statuses = ['queued', 'sending', 'sent', 'expired', 'canceled', 'failed'] as const;
type Status = (typeof statuses)[number];

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

async function mailRepository() {
  return import('../store/mail.repository.js');
}

export function registerMailCommands(program: Command): void {
  const mail = program.command('mail').description('see the mail queue and resend messages');
  mail
    .command('list')
    .description('list messages, newest first')
    .option('--status <status>', `only this status (${statuses.join(', ')})`)
    .option('--customer <uid>', "only this customer's messages")
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(async (opts: { status?: string; customer?: string; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (opts.status !== undefined && !statuses.includes(opts.status as Status)) {
        process.stderr.write(`--status must be one of ${statuses.join(', ')}\n`);
        process.exitCode = 1;
        return;
      }
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        process.stderr.write('--limit must be a whole number from 1 to 10000\n');
        process.exitCode = 1;
        return;
      }
      const { listQueue, strippedBody } = await mailRepository();
      const rows = await withServices((s) =>
        listQueue(s.store.db, { customerUid: opts.customer, status: opts.status as Status | undefined, limit }),
      );
      const shown = rows.map((r) => ({
        uid: r.uid,
        status: r.status,
        kind: r.kind,
        recipient: r.recipient,
        attempts: r.attempts,
        created: iso(r.created_at),
        sent: iso(r.sent_at),
        body: r.message === strippedBody ? 'removed' : 'kept',
        lastError: r.last_error,
        customer: r.customer_uid,
        subject: r.subject,
      }));
      if (opts.json) {
        process.stdout.write(`${terminalSafeJson(shown)}\n`);
        return;
      }
      process.stdout.write(
        `${formatTable(shown, ['uid', 'status', 'kind', 'recipient', 'attempts', 'created', 'sent', 'body', 'lastError'])}\n`,
      );
    });

  mail
    .command('show <uid>')
    .description('show one message: its delivery record and its text (while retention keeps it)')
    .option('--json', 'print JSON')
    .action(async (uid: string, opts: { json?: boolean }) => {
      const { findMail, strippedBody } = await mailRepository();
      const row = await withServices((s) => findMail(s.store.db, uid));
      if (!row) {
        process.stderr.write(`no message ${uid}\n`);
        process.exitCode = 1;
        return;
      }
      const body = row.message === strippedBody ? null : (JSON.parse(row.message) as { text?: string });
      if (opts.json) {
        process.stdout.write(`${terminalSafeJson({ ...row, message: body })}\n`);
        return;
      }
      const lines = [
        `uid:        ${row.uid}`,
        `status:     ${row.status}`,
        `kind:       ${row.kind}`,
        `customer:   ${row.customer_uid}`,
        `recipient:  ${row.recipient}`,
        `subject:    ${row.subject}`,
        `attempts:   ${row.attempts}`,
        `created:    ${iso(row.created_at)}`,
        `sent:       ${iso(row.sent_at)}`,
        `next try:   ${row.status === 'queued' ? iso(row.next_attempt_at) : ''}`,
        `last error: ${row.last_error}`,
        '',
        body === null ? '(body removed after MAIL_RETENTION_DAYS)' : (body.text ?? ''),
      ];
      // A subject names the conference, the body its persons' texts: shown, never acted on by the terminal.
      process.stdout.write(`${terminalSafe(lines.join('\n'))}\n`);
    });

  mail
    .command('retry <uid>')
    .description('queue a message again (failed, expired, canceled, or sent to resend it); sent by the next job pass')
    .action(async (uid: string) => {
      const { findMail, requeueMail } = await mailRepository();
      const outcome = await withServices(async (s) => {
        const row = await findMail(s.store.db, uid);
        if (!row) return `no message ${uid}`;
        if (!(await requeueMail(s.store.db, uid, s.clock.now()))) {
          return row.status === 'sending'
            ? `message ${uid} is being sent right now`
            : `message ${uid} cannot be resent: retention removed its body`;
        }
        return null;
      });
      if (outcome !== null) {
        process.stderr.write(`${outcome}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${uid} queued\n`);
    });
}
