/**
 * `baton events replay --endpoint UID --after N`: the operator's command to
 * redeliver an endpoint's events after sequence N, in order. It works on the
 * database (DATABASE_URL) like the other operator commands; the running
 * servers deliver on their next job pass (JOB_INTERVAL_SECONDS).
 */
import type { Command } from 'commander';
import { withServices } from './admin.js';

export function registerEventCommands(program: Command): void {
  const events =
    program.commands.find((c) => c.name() === 'events') ??
    program.command('events').description('the event log (API) and webhook replay (database)');
  events
    .command('replay')
    .description('redeliver the events after a sequence number to a webhook endpoint (database; DATABASE_URL)')
    .requiredOption('--endpoint <uid>', 'the webhook endpoint UID')
    .requiredOption('--after <sequence>', 'redeliver every event after this sequence number (0 for all)')
    .option('--json', 'print the endpoint as JSON')
    .action(async (opts: { endpoint: string; after: string; json?: boolean }) => {
      if (!/^\s*\d+\s*$/.test(opts.after)) {
        process.stderr.write(`baton: --after must be a whole number, got "${opts.after}"\n`);
        process.exitCode = 1;
        return;
      }
      const after = Number(opts.after);
      const row = await withServices(async (services) => {
        const { replayWebhook } = await import('../domain/webhooks.js');
        return replayWebhook(services, opts.endpoint.trim(), after);
      });
      if (!row) {
        process.stderr.write(`baton: no webhook endpoint ${opts.endpoint}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(
        opts.json
          ? `${JSON.stringify({ endpoint: row.uid, after, status: row.status })}\n`
          : `endpoint ${row.uid} will receive every event after ${after} again, in order\n`,
      );
    });
}
