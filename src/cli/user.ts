/**
 * `baton user create <customer> --email … [--role owner|staff]`: a user of the
 * administration site. No password is ever taken on a command line (it would
 * sit in shell history and process lists): the command prints a one-time
 * link at PUBLIC_URL where the user sets it.
 */
import type { Command } from 'commander';
import { withServices } from './admin.js';

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('users of the administration site (/admin)');
  user
    .command('create <customer>')
    .description('create a user and print a one-time link to set their password')
    .requiredOption('--email <address>', 'the address the user signs in with')
    .option('--role <role>', 'owner (manages users and API keys) or staff', 'staff')
    .option('--json', 'print {"user":…,"email":…,"role":…,"link":…}')
    .action(async (customer: string, opts: { email: string; role: string; json?: boolean }) => {
      const users = await import('../domain/users.js');
      const role = users.parseUserRole(opts.role);
      const { user: created, link } = await withServices((s) =>
        users.createUser(s, { customerUid: customer, email: opts.email, role }),
      );
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ user: created.uid, email: created.email, role, link })}\n`);
        return;
      }
      process.stdout.write(
        `user:  ${created.uid} (${created.email}, ${role})\n` +
          `Open this link to set the password (it works once, for 7 days):\n${link}\n`,
      );
    });
}
