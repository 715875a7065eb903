/**
 * The API commands: every /_access function from the command line, through
 * the SDK (@baton/client). Credentials come from BATON_URL, BATON_CUSTOMER and
 * BATON_KEY, or the --url, --customer and --key options.
 *
 * Exit codes: 0 success; 1 usage or other error; 2 the API answered with an
 * error (its code is printed); 3 the server could not be reached or timed out.
 */
import { BatonClient, type Conference, type ConferenceList, type CustomObjectType, type Role } from '@baton/client';
import { Command, Option } from 'commander';
import { printResult, terminalSafe } from './output.js';

/** The default server address when BATON_URL is unset. */
export const defaultUrl = 'http://127.0.0.1:8080';

/** A mistake in how the command was called: exit code 1. */
export class UsageError extends Error {}

interface ApiOptions {
  json?: boolean;
  quiet?: boolean;
  url?: string;
  customer?: string;
  key?: string;
  timeout?: string;
}

const exitCodesHelp = `
Credentials: BATON_URL (default ${defaultUrl}), BATON_CUSTOMER and BATON_KEY, or --url, --customer, --key.
Exit codes: 0 success; 1 usage or other error; 2 the API answered an error (code printed); 3 network error or timeout.`;

/** Adds a command that calls the API, with the options every such command takes. */
function apiCommand(parent: Command, spec: string, description: string): Command {
  return parent
    .command(spec)
    .description(description)
    .option('--json', 'print the result as JSON (for scripts)')
    .option('--url <url>', `server address (default: $BATON_URL or ${defaultUrl})`)
    .option('--customer <uid>', 'customer UID (default: $BATON_CUSTOMER)')
    .option('--key <key>', 'API key (default: $BATON_KEY)')
    .option('--timeout <seconds>', 'give up on a request after this many seconds', '30')
    .addHelpText('after', exitCodesHelp);
}

/** The client for a command's options and the environment. */
export function clientFor(options: ApiOptions, env: NodeJS.ProcessEnv = process.env): BatonClient {
  const baseUrl = options.url ?? env.BATON_URL ?? defaultUrl;
  const customer = options.customer ?? env.BATON_CUSTOMER;
  const key = options.key ?? env.BATON_KEY;
  if (!customer || !key)
    throw new UsageError('no credentials: set BATON_CUSTOMER and BATON_KEY, or pass --customer and --key');
  // A user name or password in the address would be echoed by every message that names the server.
  if (/^[a-z]+:\/\/[^/?#]*@/i.test(baseUrl))
    throw new UsageError(
      'the server address must not carry a user name or password; give the key with --key or BATON_KEY',
    );
  if (!/^https?:\/\/\S+$/.test(baseUrl) || !URL.canParse(baseUrl))
    throw new UsageError(`the server address must be an http:// or https:// URL, got "${baseUrl}"`);
  const seconds = Number(options.timeout ?? '30');
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new UsageError(`--timeout must be a number of seconds, got "${options.timeout}"`);
  return new BatonClient({ baseUrl, customer, key, timeoutMs: Math.round(seconds * 1000) });
}

function wholeNumber(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(text)) throw new UsageError(`${option} must be a whole number, got "${text}"`);
  return Number(text);
}

/** Runs a command's API call and prints its result; `--quiet` prints only the UID. */
function action<A extends unknown[]>(
  call: (
    client: BatonClient,
    options: ApiOptions & Record<string, string | boolean | string[] | undefined>,
    ...args: A
  ) => Promise<unknown>,
) {
  return async (...input: unknown[]) => {
    const command = input[input.length - 1] as Command;
    const options = command.opts<ApiOptions & Record<string, string | boolean | string[] | undefined>>();
    const args = input.slice(0, -2) as A;
    const value = await call(clientFor(options), options, ...args);
    if (options.quiet && !options.json) {
      process.stdout.write(`${terminalSafe(String((value as { UID?: unknown }).UID ?? ''))}\n`);
      return;
    }
    printResult(value, Boolean(options.json));
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--reservation "2026.02.01 17:00:00,60,25"` → one reservation item. */
function parseReservation(text: string) {
  const [startDate, duration, callers, ...rest] = text.split(',').map((part) => part.trim());
  if (!startDate || !duration || rest.length > 0) {
    throw new UsageError(`--reservation must be "START,MINUTES[,CALLERS]", got "${text}"`);
  }
  return {
    startDate,
    duration: wholeNumber(duration, '--reservation minutes')!,
    estimatedCallers: wholeNumber(callers || undefined, '--reservation callers'),
  };
}

const listFunctions = {
  active: 'getActiveConference',
  upcoming: 'getUpcomingConference',
  possible: 'getPossibleConference',
  expired: 'getExpiredConference',
  canceled: 'getCanceledConference',
} as const;

/** Finds a command by name under `parent`, or adds it. */
function group(parent: Command, name: string, description: string): Command {
  return parent.commands.find((c) => c.name() === name) ?? parent.command(name).description(description);
}

export function registerApiCommands(program: Command): void {
  // ---- conference ----
  const conference = group(program, 'conference', 'create, read, list, change and cancel conferences (API)');
  apiCommand(conference, 'create', 'create a conference: reservationless, or reserved with --reservation')
    .option('--name <name>', 'conference name')
    .option('--contact-email <emails>', 'comma-separated contact emails')
    .option('--greenroom', 'green room on')
    .option('--no-greenroom', 'green room off')
    .option('--recording', 'recording on')
    .option('--no-recording', 'recording off')
    .option('--background-music', 'background music on')
    .option('--no-background-music', 'background music off')
    .option('--estimated-callers <n>', 'estimated callers (reservationless)')
    .option(
      '--reservation <start,minutes[,callers]>',
      'a reservation, e.g. "2026.02.01 17:00:00,60,25" (repeatable; makes a reserved conference)',
      collect,
    )
    .option('-q, --quiet', 'print only the new conference UID')
    .action(
      action(async (client, o) => {
        const overrides = {
          name: o.name as string | undefined,
          contactEmail: o.contactEmail as string | undefined,
          greenroom: o.greenroom as boolean | undefined,
          recording: o.recording as boolean | undefined,
          backgroundMusic: o.backgroundMusic as boolean | undefined,
        };
        const reservations = (o.reservation as string[] | undefined) ?? [];
        if (reservations.length === 0) {
          return client.createConferenceReservationless({
            ...overrides,
            estimatedCallers: wholeNumber(o.estimatedCallers as string | undefined, '--estimated-callers'),
          });
        }
        if (o.estimatedCallers !== undefined) {
          throw new UsageError('--estimated-callers is for reservationless conferences; give callers in --reservation');
        }
        const envelope = await client.callEnvelope('createConferenceReserved', {
          ...overrides,
          reservations: reservations.map(parseReservation),
        });
        if (envelope.message) process.stderr.write(`baton: ${terminalSafe(envelope.message)}\n`);
        return envelope.value;
      }),
    );
  apiCommand(conference, 'get <conference>', 'show a conference (persons, reservations and calls as UIDs)').action(
    action((client, _o, conferenceUID: string) => client.getConference({ conferenceUID })),
  );
  apiCommand(conference, 'data <conference>', 'show a conference with its persons, reservations and customer').action(
    action((client, _o, conferenceUID: string) => client.getConferenceData({ conferenceUID })),
  );
  const list = apiCommand(
    conference,
    'list',
    'list conferences by status (all five lists when no flag is given), each read to its end',
  );
  for (const status of Object.keys(listFunctions)) {
    list.addOption(
      new Option(`--${status}`, `${status} conferences (${listFunctions[status as keyof typeof listFunctions]})`),
    );
  }
  list
    .option('--limit <n>', 'one page of at most n conferences (1-1000) of one list; prints nextCursor when more remain')
    .option('--cursor <cursor>', 'the page after this nextCursor (of the same list)');
  list.action(
    action(async (client, o): Promise<ConferenceList> => {
      const chosen = (Object.keys(listFunctions) as (keyof typeof listFunctions)[]).filter((status) => o[status]);
      const statuses = chosen.length > 0 ? chosen : (Object.keys(listFunctions) as (keyof typeof listFunctions)[]);
      const limit = wholeNumber(o.limit as string | undefined, '--limit');
      const cursor = o.cursor as string | undefined;
      if (limit !== undefined || cursor !== undefined) {
        if (statuses.length !== 1)
          throw new UsageError('--limit and --cursor read one list: add exactly one of its flags');
        return client.call(listFunctions[statuses[0]!], { limit, cursor });
      }
      const conferences: Conference[] = [];
      for (const status of statuses) {
        for await (const item of client.listAll(listFunctions[status])) conferences.push(item);
      }
      return { conference: conferences };
    }),
  );
  apiCommand(
    conference,
    'update <conference> <field> <value>',
    'set one conference field (notes, recording, greenroom, reminder, …)',
  ).action(
    action((client, _o, conferenceUID: string, field: string, value: string) =>
      client.updateConference({ conference: conferenceUID, field, value }),
    ),
  );
  apiCommand(conference, 'cancel <conference>', 'cancel a conference').action(
    action((client, _o, conferenceUID: string) => client.cancelConference({ conference: conferenceUID })),
  );

  // ---- person ----
  const person = group(program, 'person', 'register, change and remove persons (API)');
  apiCommand(person, 'add <conference>', 'register a person for a conference; prints the person with its PIN')
    .requiredOption('--role <role>', 'PARTICIPANT, ASSISTANT, PRESENTER or OPERATOR')
    .option('--name <name>', 'name')
    .option('--email <email>', 'email')
    .option('--notes <notes>', 'notes')
    .option('--custom1 <text>', 'custom field 1')
    .option('--custom2 <text>', 'custom field 2')
    .option('-q, --quiet', 'print only the new person UID')
    .action(
      action((client, o, conferenceUID: string) =>
        client.addPerson({
          conference: conferenceUID,
          role: String(o.role).toUpperCase() as Role,
          name: o.name as string | undefined,
          email: o.email as string | undefined,
          notes: o.notes as string | undefined,
          custom1: o.custom1 as string | undefined,
          custom2: o.custom2 as string | undefined,
        }),
      ),
    );
  apiCommand(
    person,
    'update <person> <field> <value>',
    'set one person field (name, email, notes, custom1, custom2, role)',
  ).action(
    action((client, _o, personUID: string, field: string, value: string) =>
      client.updatePerson({ person: personUID, field, value }),
    ),
  );
  apiCommand(person, 'remove <conference> <person>', 'remove a person from a conference').action(
    action((client, _o, conferenceUID: string, personUID: string) =>
      client.removePerson({ conference: conferenceUID, person: personUID }),
    ),
  );

  // ---- reservation ----
  const reservation = group(program, 'reservation', 'add, show, change and remove reservations (API)');
  apiCommand(reservation, 'add <conference>', 'add a reservation to a reserved conference')
    .requiredOption('--start <datetime>', 'start, "yyyy.MM.dd HH:mm:ss" in your time zone (or ISO 8601)')
    .requiredOption('--duration <minutes>', 'minutes (rounded up to 15)')
    .option('--callers <n>', 'estimated callers')
    .option('-q, --quiet', 'print only the new reservation UID')
    .action(
      action((client, o, conferenceUID: string) =>
        client.addConferenceReservation({
          conference: conferenceUID,
          startDate: o.start as string,
          duration: wholeNumber(o.duration as string, '--duration')!,
          estimatedCallers: wholeNumber(o.callers as string | undefined, '--callers'),
        }),
      ),
    );
  apiCommand(reservation, 'get <reservation>', 'show a reservation').action(
    action((client, _o, reservationUID: string) => client.getConferenceReservation({ reservationUID })),
  );
  apiCommand(reservation, 'update <reservation>', 'change a reservation (any of --start, --duration, --callers)')
    .option('--start <datetime>', 'new start, "yyyy.MM.dd HH:mm:ss"')
    .option('--duration <minutes>', 'new length in minutes')
    .option('--callers <n>', 'new estimated callers')
    .action(
      action((client, o, reservationUID: string) => {
        if (o.start === undefined && o.duration === undefined && o.callers === undefined) {
          throw new UsageError('give at least one of --start, --duration, --callers');
        }
        return client.updateConferenceReservation({
          reservationUID,
          startDate: o.start as string | undefined,
          duration: wholeNumber(o.duration as string | undefined, '--duration'),
          estimatedCallers: wholeNumber(o.callers as string | undefined, '--callers'),
        });
      }),
    );
  apiCommand(reservation, 'remove <reservation>', 'remove a future reservation').action(
    action((client, _o, reservationUID: string) => client.removeConferenceReservation({ reservationUID })),
  );

  // ---- customer (beside the database commands create/list/suspend/activate) ----
  const customer = group(program, 'customer', 'customers');
  apiCommand(customer, 'show', 'show your customer record (API; credentials as for every API command)')
    .alias('get')
    .action(action((client) => client.getCustomer()));
  apiCommand(
    customer,
    'update <field> <value>',
    'set one field of your customer record (API): greenroom, recording, timeZone, …',
  ).action(action((client, _o, field: string, value: string) => client.updateCustomer({ field, value })));

  // ---- call ----
  const call = group(program, 'call', 'show past calls (API)');
  apiCommand(call, 'get <conference> <call>', 'show a past call (callers as UIDs)').action(
    action((client, _o, conferenceUID: string, callUID: string) => client.getCall({ conferenceUID, callUID })),
  );
  apiCommand(call, 'data <conference> <call>', 'show a past call with its callers').action(
    action((client, _o, conferenceUID: string, callUID: string) => client.getCallData({ conferenceUID, callUID })),
  );

  // ---- events and webhooks ----
  const events = group(program, 'events', 'the event log (API) and webhook replay (database)');
  apiCommand(events, 'list', 'show events after a sequence number, in order (getEvents)')
    .option('--after <sequence>', 'start after this sequence number (default 0)')
    .option('--limit <n>', 'at most this many (default 100, up to 1000)')
    .option('--cursor <cursor>', 'the nextCursor of an earlier answer')
    .action(
      action((client, o) =>
        client.getEvents({
          after: wholeNumber(o.after as string | undefined, '--after'),
          limit: wholeNumber(o.limit as string | undefined, '--limit'),
          cursor: o.cursor as string | undefined,
        }),
      ),
    );
  const webhook = group(program, 'webhook', 'webhook endpoints (API)');
  apiCommand(webhook, 'add <url>', 'add a webhook endpoint; prints its signing secret (shown only this once)')
    .option('--events <types>', 'comma-separated event types (default: every type)')
    .option('--description <text>', 'a note for yourself')
    .option('-q, --quiet', 'print only the new endpoint UID')
    .action(
      action((client, o, url: string) =>
        client.addWebhook({
          url,
          eventTypes: o.events as string | undefined,
          description: o.description as string | undefined,
        }),
      ),
    );
  apiCommand(webhook, 'list', 'list webhook endpoints with their delivery state').action(
    action((client) => client.getWebhooks()),
  );
  apiCommand(webhook, 'update <webhook>', 'change a webhook endpoint')
    .option('--new-url <url>', 'new address of the endpoint')
    .option('--events <types>', 'comma-separated event types ("" for every type)')
    .option('--description <text>', 'new description')
    .option('--enable', 'resume delivery (a disabled endpoint restarts with the first event it missed)')
    .option('--disable', 'pause delivery')
    .option('--rotate-secret', 'a new secret, printed once; the previous one also signs for 24 hours')
    .action(
      action((client, o, uid: string) => {
        if (o.enable && o.disable) throw new UsageError('give --enable or --disable, not both');
        return client.updateWebhook({
          webhook: uid,
          url: o.newUrl as string | undefined,
          eventTypes: o.events as string | undefined,
          description: o.description as string | undefined,
          enabled: o.enable ? true : o.disable ? false : undefined,
          rotateSecret: o.rotateSecret ? true : undefined,
        });
      }),
    );
  apiCommand(webhook, 'remove <webhook>', 'remove a webhook endpoint').action(
    action((client, _o, uid: string) => client.removeWebhook({ webhook: uid })),
  );

  // ---- custom ----
  const custom = group(program, 'custom', 'custom values of customers, conferences, persons, calls and callers (API)');
  const objectTypes = 'conference, person, call, caller or customer';
  apiCommand(
    custom,
    'set <objectType> <objectUID> <key> <value>',
    `set a custom value (objectType: ${objectTypes})`,
  ).action(
    action((client, _o, objectType: string, objectUID: string, customKey: string, customValue: string) =>
      client.updateCustomValue({ objectType: objectType as CustomObjectType, objectUID, customKey, customValue }),
    ),
  );
  apiCommand(
    custom,
    'remove <objectType> <objectUID> <key>',
    `remove a custom value (objectType: ${objectTypes})`,
  ).action(
    action((client, _o, objectType: string, objectUID: string, customKey: string) =>
      client.updateCustomValue({ objectType: objectType as CustomObjectType, objectUID, customKey, customValue: '' }),
    ),
  );
}
