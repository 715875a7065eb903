import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPerson, testBridgeToken } from '../../test/bridge.js';
import { runCli } from '../../test/cli.js';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';
import { planSimulation } from './simulate.js';

describe('planSimulation', () => {
  it('spreads joins, a mute, a leave and rejoin, and the final leaves over the span, in time order', () => {
    const plan = planSimulation(3, 10);
    expect(plan.map((s) => `${s.at} ${s.kind} ${s.who}`)).toEqual([
      '0 join 0',
      '1500 join 1',
      '3000 join 2',
      '4000 mute 2',
      '5000 leave 1',
      '6000 rejoin 1',
      '7500 leave 0',
      '8750 leave 1',
      '10000 leave 2',
    ]);
    expect(planSimulation(1, 0).map((s) => s.kind)).toEqual(['join', 'mute', 'leave', 'rejoin', 'leave']);
  });
});

describe('baton simulate', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { bridgeToken: testBridgeToken } });
  });
  afterAll(() => server.close());

  const credentials = () => ['--customer', server.credentials.customer, '--key', server.credentials.key];

  it('registers missing persons, drives the bridge over HTTP and prints the timeline', async () => {
    const conference = await createConference(server, { name: 'Simulated' });
    const ann = await registerPerson(server, conference, { role: 'PRESENTER', name: 'Ann Lee' });
    const args = ['simulate', '--conference', conference, '--callers', '3', '--seconds', '1'];
    const run = await runCli([...args, '--url', server.url, '--token', testBridgeToken, ...credentials()]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toContain(`Conference ${conference} "Simulated" (IDLE)`);
    expect(run.stdout).toContain('registered Simulated caller 2 (PARTICIPANT)');
    expect(run.stdout).toContain('registered Simulated caller 3 (PARTICIPANT)');
    const timeline = lines.filter((l) => l.startsWith('+'));
    expect(timeline.map((l) => l.split(/\s+/)[1])).toEqual([
      'join',
      'join',
      'join',
      'mute',
      'leave',
      'rejoin',
      'leave',
      'leave',
      'leave',
    ]);
    expect(timeline[0]).toContain(`Ann Lee (PRESENTER)`);
    expect(timeline[0]).toContain(`PIN ${ann.PIN}`);
    expect(timeline[0]).toContain('started call');
    expect(timeline.at(-1)).toContain('CLOSED');
    expect(lines.at(-1)).toMatch(/^Call [A-Z0-9]{16} CLOSED: 4 caller record\(s\)/);

    // What the simulation left behind, read through the API.
    const conf = await server.call('getConference', { conferenceUID: conference });
    expect(conf.value.status).toBe('IDLE');
    expect(conf.value.persons).toHaveLength(3);
    expect(conf.value.calls).toHaveLength(1);
    const data = await server.call('getCallData', { conferenceUID: conference, callUID: conf.value.calls[0] });
    expect(data.value.caller).toHaveLength(4);
    expect(data.value.caller.filter((c: { mute: boolean }) => c.mute)).toHaveLength(1);
    expect(new Set(data.value.caller.map((c: { personUID: string }) => c.personUID)).size).toBe(3);
  });

  it("prints a hostile conference or person name as text, never as the terminal's control sequences", async () => {
    // A name cannot hold a control or a line break (the name rule refuses them), but bidi overrides and
    // isolates are kept as sent: they would show the output reversed on a terminal.
    const hostile = 'X\u202eY\u2066Z\u2069';
    const conference = await createConference(server, { name: hostile });
    await registerPerson(server, conference, { role: 'PRESENTER', name: hostile });
    const args = ['simulate', '--conference', conference, '--callers', '1', '--seconds', '0'];
    const run = await runCli([...args, '--url', server.url, '--token', testBridgeToken, ...credentials()]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(run.stdout).toContain('"X\\u202eY\\u2066Z\\u2069"');
  });

  it('takes its defaults from BATON_URL, BRIDGE_TOKEN, BATON_CUSTOMER and BATON_KEY', async () => {
    const conference = await createConference(server);
    const run = await runCli(['simulate', '--conference', conference, '--callers', '2', '--seconds', '0'], {
      BATON_URL: server.url,
      BRIDGE_TOKEN: testBridgeToken,
      BATON_CUSTOMER: server.credentials.customer,
      BATON_KEY: server.credentials.key,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('3 caller record(s)');
  });

  it('fails with a message, and leaves no call open, when the bridge refuses it', async () => {
    const conference = await createConference(server);
    const wrongToken = await runCli([
      'simulate',
      '--conference',
      conference,
      '--seconds',
      '0',
      '--url',
      server.url,
      '--token',
      'not-the-bridge-token',
      ...credentials(),
    ]);
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toContain('HTTP 401');
    const missing = await runCli(['simulate', '--conference', conference], { BRIDGE_TOKEN: '', BATON_KEY: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--token (or BRIDGE_TOKEN)');
    const badCount = await runCli(['simulate', '--conference', conference, '--callers', '0']);
    expect(badCount.code).not.toBe(0);
    expect(badCount.stderr).toContain('whole number from 1 to 100');
    const conf = await server.call('getConference', { conferenceUID: conference });
    expect(conf.value.status).toBe('IDLE');
  });
});
