/** Builds the whole `baton` command tree (without parsing anything). */
import { Command } from 'commander';
import { registerAdminCommands } from './admin.js';
import { registerApiCommands } from './api.js';
import { registerEventCommands } from './events.js';
import { registerBackupCommand } from './backup.js';
import { registerCopyCommand } from './copy.js';
import { registerMailCommands } from './mail.js';
import { registerSimulateCommand } from './simulate.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('baton')
    .description('Baton — a server for the MaestroConference Conference Management API')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('run the server (PORT, DATABASE_URL, PUBLIC_URL … from the environment)')
    .action(async () => {
      // Loaded on demand, so API commands start without the server's modules.
      const { runUntilSignalled } = await import('../server.js');
      await runUntilSignalled();
    });

  registerAdminCommands(program);
  registerCopyCommand(program);
  registerBackupCommand(program);
  registerMailCommands(program);
  registerSimulateCommand(program);
  registerApiCommands(program);
  registerEventCommands(program);
  program.addHelpText(
    'after',
    `
API commands read BATON_URL (default http://127.0.0.1:8080), BATON_CUSTOMER and BATON_KEY.
Exit codes: 0 success; 1 usage or other error; 2 API error (code printed); 3 network error or timeout.`,
  );
  return program;
}
