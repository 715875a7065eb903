/**
 * Keeps secrets out of log lines. Clients may send the API key in a query
 * string (the spec's GET examples do), the bridge sends a bearer token, the
 * registration page carries a CSRF cookie and form token, and a confirmation
 * link a signed token: none of them may reach a log, at any level, whether
 * the line quotes a URL, a header or an error message.
 *
 * Three layers, because each covers what the others cannot see:
 * - serializers for `req`, `res` and `err` (what Fastify logs per request),
 *   with query values of secret parameters masked;
 * - pino `redact` paths for headers, if anyone logs them;
 * - a `logMethod` hook that masks the message text and top-level strings of
 *   every log call (Fastify's own messages quote `request.url`).
 */
import type { FastifyServerOptions } from 'fastify';
import { stdSerializers, type DestinationStream, type LoggerOptions } from 'pino';

/** What replaces a secret. */
export const redacted = '[redacted]';

/** Parameter names whose values are secret (compared case-blind). */
export const secretParameterNames = [
  'key',
  'token',
  'password',
  'securityToken',
  'security_token',
  'csrf',
  'baton_csrf',
  // The site's session, known-device and sign-in form cookies.
  'baton_admin',
  'baton_admin_device',
  'baton_admin_form',
  'authorization',
  'cookie',
  'secret',
] as const;

const names = secretParameterNames.join('|');
// name=value in a query string, a form body or a cookie header: value runs to the next separator.
const assignment = new RegExp(`((?:^|[?&;,\\s"'(])(?:${names})(?:%3D|=))[^&;,\\s"'<>)]*`, 'gi');
// "key":"value" in JSON text quoted inside a message.
const jsonMember = new RegExp(`("(?:${names})"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*"`, 'gi');
// Authorization schemes, wherever the header value is quoted.
const bearer = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
// A webhook signing secret, wherever it appears.
const webhookSecret = /\bwhsec_[A-Za-z0-9+/=]+/g;
// The password in a URL's user information (smtp://user:password@host, postgres://…).
// A scheme starts where no scheme character precedes it (not at every \b), so a long run of them
// is tried once, not from each of its characters: linear on any text.
const userinfoPassword = /((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;

// What every pattern above needs somewhere in the text (`=` or `%3D`, a quote, a scheme name,
// `whsec_`, a URL's `@`): one test of this spares the five replacements on almost every line.
const mayHoldSecret = /[=%"@]|bearer|basic|whsec_/i;

/** Masks every secret value in a piece of text (a URL, a message, a stack). */
export function redactText(text: string): string {
  if (text.length === 0 || !mayHoldSecret.test(text)) return text;
  return text
    .replace(assignment, `$1${redacted}`)
    .replace(jsonMember, `$1${redacted}"`)
    .replace(bearer, `$1 ${redacted}`)
    .replace(webhookSecret, `whsec_${redacted}`)
    .replace(userinfoPassword, `$1${redacted}@`);
}

interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

const serializers = {
  req(req: RequestLike) {
    return {
      method: req.method,
      url: typeof req.url === 'string' ? redactText(req.url) : req.url,
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    };
  },
  res(reply: { statusCode?: number }) {
    return { statusCode: reply.statusCode };
  },
  err(error: Error) {
    const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(serialized)) {
      if (typeof value === 'string') serialized[name] = redactText(value);
      // Node's HTTP parse errors (a bad header byte, headers over the limit) carry the request's raw
      // bytes, query string and Authorization or Cookie header included, logged as a byte array that no
      // text pattern can mask: only their size is kept.
      else if (Buffer.isBuffer(value)) serialized[name] = `[${value.length} bytes redacted]`;
    }
    return serialized;
  },
};

const headerPaths = ['authorization', 'cookie', '"set-cookie"', '"x-api-key"'].flatMap((header) => [
  `req.headers.${header}`,
  `headers.${header}`,
  `res.headers.${header}`,
]);

function redactArgument(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value !== null && typeof value === 'object' && !(value instanceof Error) && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    let copy: Record<string, unknown> | undefined;
    // Own enumerable fields, as Object.entries gives them, without an array per log call.
    for (const name of Object.keys(object)) {
      const field = object[name];
      if (typeof field !== 'string') continue;
      const clean = redactText(field);
      if (clean !== field) (copy ??= { ...object })[name] = clean;
    }
    return copy ?? value;
  }
  return value;
}

/**
 * Logger options with the redaction in place. `stream` defaults to stdout;
 * tests pass a stream to read what was logged.
 */
export function redactingLoggerOptions(level: string, stream?: DestinationStream): FastifyServerOptions['logger'] {
  const options: LoggerOptions & { stream?: DestinationStream } = {
    level,
    serializers,
    redact: { paths: headerPaths, censor: redacted },
    hooks: {
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) args[i] = redactArgument(args[i]);
        method.apply(this, args as Parameters<typeof method>);
      },
    },
  };
  if (stream) options.stream = stream;
  return options as FastifyServerOptions['logger'];
}
