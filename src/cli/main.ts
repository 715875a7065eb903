/**
 * The `baton` command: the server (`serve`), the operator's database commands
 * (`migrate`, `customer create|list|suspend|activate`, `key …`) and the API
 * commands built on the SDK (`conference …`, `person …`, `reservation …`,
 * `customer show|update`, `call …`, `custom …`).
 *
 * Exit codes: 0 success; 1 usage or other error; 2 the API answered with an
 * error code (printed), or an operator command was refused by the domain's
 * rules (an ApiError); 3 the server could not be reached or timed out.
 */
import { BatonApiError, BatonNetworkError } from '@baton/client';
import { CommanderError } from 'commander';
import { ApiError } from '../errors.js';
import { UsageError } from './api.js';
import { terminalSafe } from './output.js';
import { buildProgram } from './program.js';

const program = buildProgram();

/** The exit code of a failure, and what to print. */
function describeFailure(error: unknown): { code: number; message: string } {
  if (error instanceof BatonApiError) {
    return { code: 2, message: `${error.functionName} failed with code ${error.code}: ${error.message}` };
  }
  if (error instanceof BatonNetworkError) return { code: 3, message: error.message };
  if (error instanceof ApiError) return { code: 2, message: error.message };
  if (error instanceof UsageError) return { code: 1, message: error.message };
  return { code: 1, message: error instanceof Error ? error.message : String(error) };
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode);
  }
  const failure = describeFailure(error);
  // The message may quote the server's words, or what was typed: neither may drive the terminal.
  process.stderr.write(`baton: ${terminalSafe(failure.message)}\n`);
  process.exitCode = failure.code;
}
