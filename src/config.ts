/**
 * Configuration, read from the environment once at boot. Every problem is
 * reported at once, so a misconfigured deployment fails fast and says why.
 */
import { availableParallelism } from 'node:os';
import { canonicalTimeZone } from './domain/time.js';
import { parseTrustProxy, trustNothing, type TrustProxy } from './protocol/client-address.js';
import { isMemoryDatabase, isPostgresUrl, sqliteFileOf } from './store/database-url.js';

export interface Config {
  /** PORT: TCP port to listen on. Default 8080. */
  port: number;
  /** HOST: address to bind. Default 127.0.0.1; use 0.0.0.0 behind a load balancer or in a container. */
  host: string;
  /** DATABASE_URL: a SQLite file path (default ./data/baton.db) or postgres://… */
  databaseUrl: string;
  /** DB_POOL_MAX: PostgreSQL connections per process. Default 4 (measured: docs/operations.md). Keep N instances × this under max_connections. */
  dbPoolMax: number;
  /** DB_CONNECT_TIMEOUT_MS: how long a request waits for a PostgreSQL connection before answering -3. Default 10000. */
  dbConnectTimeoutMs: number;
  /** DB_IDLE_TIMEOUT_MS: an idle PostgreSQL connection is closed after this long. Default 30000. */
  dbIdleTimeoutMs: number;
  /** DB_STATEMENT_TIMEOUT_MS: PostgreSQL cancels a statement running longer than this (-3); 0 turns it off. Default 30000. */
  dbStatementTimeoutMs: number;
  /** MIGRATE_ON_START: apply pending migrations when serving. Default true. */
  migrateOnStart: boolean;
  /** PUBLIC_URL: the address users reach Baton at, for links in pages and email. */
  publicUrl: string;
  /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent). Default info. */
  logLevel: string;
  /** BODY_LIMIT: largest request body accepted, in bytes. Default 65536. */
  bodyLimit: number;
  /** AUTH_FAILURE_LIMIT: failed authentications per address per minute before throttling; 0 turns it off. Default 30. */
  authFailureLimit: number;
  /** RESERVATION_OPEN_MINUTES: how long before a reservation's start the conference can start. Default 15. */
  reservationOpenMinutes: number;
  /** DEFAULT_TIME_ZONE: time zone of customers created without one. Default UTC. */
  defaultTimeZone: string;
  /** BRIDGE_TOKEN: bearer token of the telephony bridge API; unset keeps /bridge closed. */
  bridgeToken: string | null;
  /** BRIDGE_PIN_FAILURES_PER_ANI: wrong PINs from one caller number per 15 minutes before refusing it. Default 10; 0 turns it off. */
  bridgePinFailuresPerAni: number;
  /** BRIDGE_PIN_FAILURES_PER_DID: wrong PINs on one dial-in number per 15 minutes before refusing it. Default 1000; 0 turns it off. */
  bridgePinFailuresPerDid: number;
  /** SMTP_URL: send mail through this SMTP server (smtp://user:pass@host:port); unset writes .eml files. */
  smtpUrl: string | null;
  /** MAIL_OUTBOX_DIR: where mail goes without SMTP_URL. Default ./data/outbox. */
  mailOutboxDir: string;
  /** MAIL_FROM: sender address of Baton's email. */
  mailFrom: string;
  /** JOB_INTERVAL_SECONDS: how often this process sweeps reminders and sends queued mail; 0 turns the jobs off. Default 30. */
  jobIntervalSeconds: number;
  /** REGISTRATION_LIMIT: self-registrations per client address per minute; 0 turns the limit off. Default 20. */
  registrationLimit: number;
  /** LOG_FORMAT: json (one object a line, for shipping) or pretty (for people). Default pretty on a terminal, else json. */
  logFormat: 'json' | 'pretty';
  /** METRICS_PORT: serve /metrics on this port of METRICS_HOST, apart from the API. Unset: no metrics port. */
  metricsPort: number | null;
  /** METRICS_HOST: address of the metrics port. Default 127.0.0.1. */
  metricsHost: string;
  /** METRICS_TOKEN: require `Authorization: Bearer <token>` for /metrics (and serve it on the API port when METRICS_PORT is unset). */
  metricsToken: string | null;
  /** WEBHOOK_ALLOW_PRIVATE: let webhooks reach private, loopback and reserved addresses. Default false. */
  webhookAllowPrivate: boolean;
  /** WEBHOOK_TIMEOUT_SECONDS: how long a webhook receiver has to answer before the attempt fails. Default 10. */
  webhookTimeoutSeconds: number;
  /** WEBHOOK_DISABLE_AFTER_SECONDS: an endpoint failing this long is disabled and its owner emailed. Default 259200 (3 days). */
  webhookDisableAfterSeconds: number;
  /** WORKERS: server processes `baton serve` runs on this machine (node:cluster), sharing the port and the database. Default: the number of cores. */
  workers: number;
  /**
   * TRUST_PROXY: which peers' X-Forwarded-For entries are believed when deriving the client address. Default:
   * none (the socket peer is the client); a hop count (1: one load balancer); or a comma list of proxy addresses
   * and CIDR ranges.
   */
  trustProxy: TrustProxy;
  /** MAIL_RETENTION_DAYS: sent messages keep their bodies this many days, then only the envelope stays. Default 30. */
  mailRetentionDays: number;
  /** MAIL_MAX_AGE_HOURS: a message still unsent this long after it was queued is marked failed. Default 72. */
  mailMaxAgeHours: number;
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the configuration; throws one error listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false, got "${env[name]}"`);
    return fallback;
  };
  const url = (name: string, fallback: string | null, protocols: string[]): string | null => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} must be a URL starting ${protocols.join(' or ')}//, got "${raw}"`);
      return fallback;
    }
  };

  const port = int('PORT', 8080, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const logLevel = env.LOG_LEVEL || 'info';
  if (!levels.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${levels.join(', ')}`);
  // Stored and shown under one spelling, as updateCustomer stores a zone.
  const typedZone = canonicalTimeZone(env.DEFAULT_TIME_ZONE || 'UTC');
  const defaultTimeZone = typedZone ?? 'UTC';
  if (typedZone === null) {
    problems.push(`DEFAULT_TIME_ZONE must be an IANA time zone such as America/New_York`);
  }
  const bridgeToken = env.BRIDGE_TOKEN || null;
  if (bridgeToken !== null && bridgeToken.length < 16) {
    problems.push('BRIDGE_TOKEN must be at least 16 characters');
  }

  const databaseUrl = env.DATABASE_URL || './data/baton.db';
  // Anything but postgres:// is a SQLite file (a path, file:… or sqlite:path): a URL of another database
  // would silently become a new, empty SQLite file named after it. Only the scheme is quoted: the URL may
  // hold a password.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(databaseUrl)?.[1];
  let inMemory = false;
  if (scheme !== undefined && !/^(postgres(ql)?|file)$/i.test(scheme)) {
    problems.push(`DATABASE_URL must be a SQLite file path (or file:…) or a postgres:// URL, got a ${scheme}:// URL`);
  } else if (!isPostgresUrl(databaseUrl)) {
    try {
      const file = sqliteFileOf(databaseUrl);
      inMemory = isMemoryDatabase(databaseUrl);
      if (file === '' || file.endsWith('/')) problems.push('DATABASE_URL names no SQLite file, only a folder');
    } catch {
      problems.push('DATABASE_URL is a file:// URL of another host: name a file on this machine (file:///path)');
    }
  }

  const workers = int('WORKERS', availableParallelism(), 1, 256);
  // A memory database lives in the one process that opened it: it serves from that process.
  if (inMemory && env.WORKERS && workers > 1) {
    problems.push(
      `WORKERS must be 1 with DATABASE_URL=:memory: (each process would have a database of its own), got "${env.WORKERS}"`,
    );
  }

  const logFormat = env.LOG_FORMAT || (process.stdout.isTTY ? 'pretty' : 'json');
  if (logFormat !== 'json' && logFormat !== 'pretty')
    problems.push(`LOG_FORMAT must be json or pretty, got "${logFormat}"`);
  const metricsToken = env.METRICS_TOKEN || null;
  if (metricsToken !== null && metricsToken.length < 16) problems.push('METRICS_TOKEN must be at least 16 characters');
  const metricsPort = env.METRICS_PORT ? int('METRICS_PORT', 0, 0, 65535) : null;
  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  if (typeof trustProxy === 'string') problems.push(trustProxy);

  const config: Config = {
    port,
    host,
    databaseUrl,
    dbPoolMax: int('DB_POOL_MAX', 4, 1, 1000),
    dbConnectTimeoutMs: int('DB_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    dbIdleTimeoutMs: int('DB_IDLE_TIMEOUT_MS', 30_000, 100, 3_600_000),
    dbStatementTimeoutMs: int('DB_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    migrateOnStart: bool('MIGRATE_ON_START', true),
    publicUrl:
      url('PUBLIC_URL', null, ['http:', 'https:']) ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    logLevel,
    bodyLimit: int('BODY_LIMIT', 65536, 1024, 10 * 1024 * 1024),
    authFailureLimit: int('AUTH_FAILURE_LIMIT', 30, 0, 1_000_000),
    reservationOpenMinutes: int('RESERVATION_OPEN_MINUTES', 15, 0, 24 * 60),
    defaultTimeZone,
    bridgeToken,
    bridgePinFailuresPerAni: int('BRIDGE_PIN_FAILURES_PER_ANI', 10, 0, 1_000_000),
    bridgePinFailuresPerDid: int('BRIDGE_PIN_FAILURES_PER_DID', 1000, 0, 1_000_000),
    smtpUrl: url('SMTP_URL', null, ['smtp:', 'smtps:']),
    mailOutboxDir: env.MAIL_OUTBOX_DIR || './data/outbox',
    mailFrom: env.MAIL_FROM || 'Baton <baton@localhost>',
    jobIntervalSeconds: int('JOB_INTERVAL_SECONDS', 30, 0, 24 * 3600),
    registrationLimit: int('REGISTRATION_LIMIT', 20, 0, 1_000_000),
    logFormat: logFormat === 'pretty' ? 'pretty' : 'json',
    metricsPort,
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    metricsToken,
    webhookAllowPrivate: bool('WEBHOOK_ALLOW_PRIVATE', false),
    webhookTimeoutSeconds: int('WEBHOOK_TIMEOUT_SECONDS', 10, 1, 300),
    webhookDisableAfterSeconds: int('WEBHOOK_DISABLE_AFTER_SECONDS', 259_200, 1, 365 * 24 * 3600),
    workers: inMemory ? 1 : workers,
    trustProxy: typeof trustProxy === 'string' ? trustNothing : trustProxy,
    mailRetentionDays: int('MAIL_RETENTION_DAYS', 30, 1, 36_500),
    mailMaxAgeHours: int('MAIL_MAX_AGE_HOURS', 72, 1, 24 * 365),
  };
  if (problems.length > 0) {
    throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}
