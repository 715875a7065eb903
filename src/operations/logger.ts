/**
 * Where the server's log lines go by LOG_FORMAT: JSON lines on stdout (for
 * log shipping; pino's default), or through pino-pretty, one readable line
 * per entry (for a person at a terminal). The redaction of secrets happens
 * before either (log-redaction.ts).
 */
import pretty from 'pino-pretty';
import type { DestinationStream } from 'pino';
import type { Config } from '../config.js';

/** The pino-pretty stream for LOG_FORMAT=pretty; undefined (stdout, JSON) for json. */
export function prettyLogStream(config: Pick<Config, 'logFormat'>): DestinationStream | undefined {
  if (config.logFormat === 'json') return undefined;
  // One line per entry, as in JSON, so a request is still one line to read or grep.
  return pretty({
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
}
