/**
 * The API commands, run as the real `baton` command (a child process) against
 * a listening server: results as --json and as text, and the exit codes.
 */
import { createServer } from 'node:net';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../test/cli.js';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { apiFunctions } from '../functions/index.js';
import { buildProgram } from './program.js';

// Each command is a fresh Node process compiling TypeScript: generous time on a busy machine.
describe('baton API commands', { timeout: 240_000 }, () => {
  let server: TestServer;
  let env: Record<string, string>;
  const baton = (...args: string[]): Promise<CliResult> => runCli(args, env);
  const json = async (...args: string[]) => {
    const result = await baton(...args, '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    server = await startTestServer();
    env = { BATON_URL: server.url, BATON_CUSTOMER: server.credentials.customer, BATON_KEY: server.credentials.key };
  });
  afterAll(() => server.close());

  it('manages a webhook endpoint and reads the event log', async () => {
    const hook = await json('webhook', 'add', 'https://93.184.215.14/cli', '--events', 'person.registered');
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.eventTypes).toEqual(['person.registered']);
    const changed = await json('webhook', 'update', hook.UID, '--new-url', 'https://93.184.215.14/v2', '--disable');
    expect(changed).toMatchObject({ url: 'https://93.184.215.14/v2', status: 'disabled', secret: null });
    const both = await baton('webhook', 'update', hook.UID, '--enable', '--disable');
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('not both');
    const created = await server.call('createConferenceReservationless', { name: 'Logged' });
    const events = await json('events', 'list', '--after', '0', '--limit', '1000');
    expect(events.event.at(-1)).toMatchObject({
      type: 'conference.created',
      data: { conference: { UID: created.value.UID } },
    });
    expect(events).not.toHaveProperty('nextCursor');
    expect((await json('webhook', 'remove', hook.UID)).UID).toBe(hook.UID);
  });

  it('creates a conference, registers a person and reads them back', async () => {
    const created = await baton('conference', 'create', '--name', 'CLI sync', '--recording', '--quiet');
    expect(created.code).toBe(0);
    const conference = created.stdout.trim();
    expect(conference).toMatch(/^[A-Z0-9]{16}$/);

    const person = await json(
      'person',
      'add',
      conference,
      '--role',
      'presenter',
      '--name',
      'Ann Lee',
      '--email',
      'ann@example.org',
    );
    expect(person).toMatchObject({ conferenceUID: conference, role: 'PRESENTER', name: 'Ann Lee' });
    expect(person.PIN).toMatch(/^\d{6}$/);

    const read = await json('conference', 'get', conference);
    expect(read).toMatchObject({ UID: conference, name: 'CLI sync', recording: true, persons: [person.UID] });

    // Without --json: a key-value list, then a table of the persons.
    const text = await baton('conference', 'data', conference);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^UID\\s+${conference}$`, 'm'));
    expect(text.stdout).toMatch(/^status\s+IDLE$/m);
    expect(text.stdout).toMatch(
      new RegExp(`^\\s+${person.UID}\\s+${person.PIN}\\s+PRESENTER\\s+Ann Lee\\s+ann@example.org$`, 'm'),
    );

    const updated = await json('person', 'update', person.UID, 'name', 'Ann B. Lee');
    expect(updated.name).toBe('Ann B. Lee');
    expect((await json('conference', 'update', conference, 'notes', 'Bring slides')).notes).toBe('Bring slides');
    expect(await json('custom', 'set', 'conference', conference, 'color', 'blue')).toMatchObject({
      custom: [{ key: 'color', value: 'blue' }],
    });
    expect((await json('custom', 'remove', 'conference', conference, 'color')).custom).toEqual([]);
    expect((await json('person', 'remove', conference, person.UID)).UID).toBe(person.UID);
    expect((await json('conference', 'cancel', conference)).status).toBe('CANCEL');
  });

  it('creates a reserved conference and manages its reservations', async () => {
    const conference = await json(
      'conference',
      'create',
      '--name',
      'CLI weekly',
      '--reservation',
      '2026.02.01 17:00:00,60,25',
      '--reservation',
      '2026.02.08 17:00:00,45',
    );
    expect(conference).toMatchObject({
      reserved: true,
      status: 'SCHED',
      scheduledStartTime: 'Sun Feb 01 17:00:00 UTC 2026',
    });
    expect(conference.reservations).toHaveLength(2);

    const added = await json(
      'reservation',
      'add',
      conference.UID,
      '--start',
      '2026.02.15 17:00:00',
      '--duration',
      '20',
      '--callers',
      '9',
    );
    expect(added).toMatchObject({ conferenceUID: conference.UID, duration: 30, estimateCaller: 9 });
    expect(await json('reservation', 'get', added.UID)).toEqual(added);
    expect((await json('reservation', 'update', added.UID, '--duration', '60')).duration).toBe(60);
    await json('reservation', 'remove', added.UID);
    {
      const upcoming = await baton('conference', 'list', '--upcoming');
      expect(upcoming.code).toBe(0);
      expect(upcoming.stdout).toMatch(/^UID\s+status\s+scheduledStartTime\s+name$/m);
      expect(upcoming.stdout).toContain(conference.UID);
      const all = await json('conference', 'list');
      expect(all.conference.map((c: { UID: string }) => c.UID)).toContain(conference.UID);
    }
    {
      // One page at a time: --limit, then --cursor with the nextCursor it printed.
      for (let i = 0; i < 3; i++) await json('conference', 'create', '--name', `Paged ${i}`);
      const whole = (await json('conference', 'list', '--possible')).conference.map((c: { UID: string }) => c.UID);
      expect(whole.length).toBeGreaterThanOrEqual(3);
      const first = await json('conference', 'list', '--possible', '--limit', '2');
      expect(first.conference.map((c: { UID: string }) => c.UID)).toEqual(whole.slice(0, 2));
      expect(typeof first.nextCursor).toBe('string');
      const second = await json('conference', 'list', '--possible', '--limit', '2', '--cursor', first.nextCursor);
      expect(second.conference.map((c: { UID: string }) => c.UID)).toEqual(whole.slice(2, 4));
      const twoLists = await baton('conference', 'list', '--possible', '--upcoming', '--limit', '2');
      expect(twoLists.code).toBe(1);
      expect(twoLists.stderr).toContain('exactly one');
    }
  });

  it('shows and updates the customer through the API', async () => {
    expect((await json('customer', 'show')).UID).toBe(server.credentials.customer);
    expect((await json('customer', 'update', 'timeZone', 'Europe/Paris')).timeZone).toBe('Europe/Paris');
    await json('customer', 'update', 'timeZone', 'UTC');
  });

  it('takes credentials from flags as well as from the environment', async () => {
    const result = await runCli(
      [
        'customer',
        'get',
        '--json',
        '--url',
        server.url,
        '--customer',
        server.credentials.customer,
        '--key',
        server.credentials.key,
      ],
      { BATON_URL: '', BATON_CUSTOMER: '', BATON_KEY: '' },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).UID).toBe(server.credentials.customer);
  });

  it('exits 2 with the code on an API error, 3 when the server is unreachable, 1 on a usage error', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const [apiError, wrongKey, unreachable, noCredentials, unknownCommand, badNumber, credentialsInUrl, badUrl] =
      await Promise.all([
        baton('conference', 'get', 'NOSUCHCONFERENCE'),
        runCli(['customer', 'show'], { ...env, BATON_KEY: '0'.repeat(32) }),
        runCli(['conference', 'list', '--possible'], { ...env, BATON_URL: `http://127.0.0.1:${closedPort}` }),
        runCli(['customer', 'show'], { BATON_URL: server.url, BATON_CUSTOMER: '', BATON_KEY: '' }),
        baton('conference', 'explode'),
        baton('reservation', 'add', 'X', '--start', '2026.02.01 17:00:00', '--duration', 'long'),
        runCli(['conference', 'list', '--possible'], {
          ...env,
          BATON_URL: `http://baton:s3cret-in-url@127.0.0.1:${closedPort}`,
        }),
        // No URL at all, though it starts http:// (an unclosed IPv6 bracket): a usage error, not "unreachable".
        baton('customer', 'show', '--url', 'http://[::1'),
      ]);
    expect(apiError).toMatchObject({ code: 2, stdout: '' });
    expect(apiError.stderr).toContain('getConference failed with code -2: no conference with UID NOSUCHCONFERENCE');
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain('code -5');
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('cannot reach');
    expect(noCredentials.code).toBe(1);
    expect(noCredentials.stderr).toContain('BATON_CUSTOMER');
    expect(unknownCommand.code).toBe(1);
    expect(unknownCommand.stderr).toContain("unknown command 'explode'");
    expect(badNumber.code).toBe(1);
    expect(badNumber.stderr).toContain('--duration must be a whole number');
    expect(credentialsInUrl.code).toBe(1);
    expect(credentialsInUrl.stderr).toContain('must not carry a user name or password');
    expect(credentialsInUrl.stderr).not.toContain('s3cret-in-url');
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain('the server address must be an http:// or https:// URL, got "http://[::1"');
  });

  it('prints help with exit code 0', async () => {
    const help = await baton('person', 'add', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: baton person add [options] <conference>');
    expect(help.stdout).toContain('Exit codes:');
  });

  it("prints a hostile name or message as text, never as the terminal's control sequences", async () => {
    // ESC sequences (window title, clear screen, colour), BEL, CR, a one-character C1 CSI and a bidi
    // override: what anyone may put in a conference's name or a person's notes through the API.
    const hostile = 'Evil\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\rover\u009b6n\u202eflip';
    const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    // A name is one line (the domain's name rule refuses its controls); a custom value carries any text as sent.
    const refusedName = await server.call('createConferenceReservationless', { name: hostile });
    expect(refusedName.code).toBe(-2);
    const created = await server.call('createConferenceReservationless', { name: 'Evil' });
    const conference = created.value.UID as string;
    const custom = await server.call('updateCustomValue', {
      objectType: 'conference',
      objectUID: conference,
      customKey: 'note',
      customValue: hostile,
    });
    expect(custom.code).toBe(0);

    const shown = await baton('conference', 'data', conference);
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toMatch(controls);
    expect(shown.stdout).toContain('Evil\\u001b]0;pwned\\u0007\\u001b[2J\\u001b[31mred\\u000dover\\u009b6n\\u202eflip');
    const json = await baton('conference', 'data', conference, '--json');
    expect(json.stdout).not.toMatch(controls);
    // The same string once read back as JSON.
    expect(JSON.parse(json.stdout).custom[0].value).toBe(hostile);

    // A refusal quotes what was sent: on stderr it is shown, not acted on.
    const refused = await baton('person', 'add', conference, '--role', `CHAIR\u001b[2J\u009b`);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('got "CHAIR\\u001b[2J\\u009b"');
    expect(refused.stderr).not.toMatch(controls);
  });

  it('reaches getCall and getCallData (an unknown call is code -2)', async () => {
    const [call, data] = await Promise.all([
      baton('call', 'get', 'NOSUCH', 'NOSUCH'),
      baton('call', 'data', 'NOSUCH', 'NOSUCH'),
    ]);
    expect(call.code).toBe(2);
    expect(call.stderr).toContain('getCall failed with code -2');
    expect(data.code).toBe(2);
    expect(data.stderr).toContain('getCallData failed with code -2');
  });
});

describe('the baton command tree', () => {
  const program = buildProgram();
  const leaves: Command[] = [];
  const walk = (command: Command) => {
    if (command.commands.length === 0) leaves.push(command);
    command.commands.forEach(walk);
  };
  walk(program);

  it('has a description and --help on every command', () => {
    expect(leaves.length).toBeGreaterThan(20);
    for (const command of leaves) {
      expect(command.description(), command.name()).not.toBe('');
      expect(command.helpInformation()).toContain('-h, --help');
    }
  });

  it('covers every API function with a command that calls it', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(new URL('./api.ts', import.meta.url), 'utf8');
    for (const fn of [
      'getActiveConference',
      'getUpcomingConference',
      'getPossibleConference',
      'getExpiredConference',
      'getCanceledConference',
    ]) {
      expect(source).toContain(`'${fn}'`);
    }
    const called = new Set([...source.matchAll(/client\.(\w+)\(/g)].map((m) => m[1]));
    for (const fn of apiFunctions) {
      if (fn.name.startsWith('get') && fn.name.endsWith('Conference') && fn.name !== 'getConference') continue;
      expect(called.has(fn.name) || source.includes(`'${fn.name}'`), fn.name).toBe(true);
    }
  });
});
