/**
 * The server's logger settings: pino at LOG_LEVEL, as JSON lines (for log
 * shipping) or through pino-pretty (for a person at a terminal), by LOG_FORMAT.
 */
import type { FastifyServerOptions } from 'fastify';
import pretty from 'pino-pretty';
import type { Config } from '../config.js';

/** Fastify's `logger` option for this configuration. */
export function loggerOptions(config: Pick<Config, 'logLevel' | 'logFormat'>): FastifyServerOptions['logger'] {
  if (config.logFormat === 'json') return { level: config.logLevel };
  return {
    level: config.logLevel,
    // One line per entry, as in JSON, so a request is still one line to read or grep.
    stream: pretty({
      colorize: process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    }),
  };
}
