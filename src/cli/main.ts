/** The `baton` command. */
import { Command, CommanderError } from 'commander';
import { ApiError } from '../errors.js';
import { runUntilSignalled } from '../server.js';
import { registerAdminCommands } from './admin.js';
import { registerSimulateCommand } from './simulate.js';

const program = new Command()
  .name('baton')
  .description('Baton — a server for the MaestroConference Conference Management API')
  .showHelpAfterError()
  .exitOverride();

program
  .command('serve')
  .description('run the server (PORT, DATABASE_URL, PUBLIC_URL … from the environment)')
  .action(async () => {
    await runUntilSignalled();
  });

registerAdminCommands(program);
registerSimulateCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode);
  }
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`baton: ${message}\n`);
  process.exit(error instanceof ApiError ? 2 : 1);
}
