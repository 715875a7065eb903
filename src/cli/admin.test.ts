import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCliServer } from '../../test/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-cli-'));
const env = { DATABASE_URL: join(dir, 'cli.db') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('baton admin commands', () => {
  it('customer create --json prints the UID and a key that the API accepts', async () => {
    const created = await runCli(
      ['customer', 'create', '--name', 'Acme', '--did', '+1 555 0199', '--time-zone', 'America/New_York', '--json'],
      env,
    );
    expect(created.code).toBe(0);
    const { customer, key } = JSON.parse(created.stdout) as { customer: string; key: string };
    expect(customer).toMatch(/^[A-Z0-9]{16}$/);
    expect(key).toMatch(/^[0-9a-f]{32}$/);

    const server = await startCliServer(env);
    try {
      // The database had a customer already: serve does not create another.
      expect(server.output()).not.toContain('Created the first customer');
      const answer = await (
        await fetch(`${server.url}/_access/getCustomer?type=json&customer=${customer}&key=${key}`)
      ).json();
      expect(answer.value).toMatchObject({ name: 'Acme', DID: '+1 555 0199', timeZone: 'America/New_York' });

      // A second key works alongside the first; revoking the first leaves the second.
      const second = JSON.parse((await runCli(['key', 'create', customer, '--json'], env)).stdout) as { key: string };
      expect((await runCli(['key', 'revoke', customer, key], env)).code).toBe(0);
      const old = await (
        await fetch(`${server.url}/_access/getCustomer?type=json&customer=${customer}&key=${key}`)
      ).json();
      expect(old.code).toBe(-5);
      const fresh = await (
        await fetch(`${server.url}/_access/getCustomer?type=json&customer=${customer}&key=${second.key}`)
      ).json();
      expect(fresh.code).toBe(0);

      // Suspended customers get -1; activated again they get in.
      expect((await runCli(['customer', 'suspend', customer], env)).code).toBe(0);
      const suspended = await (
        await fetch(`${server.url}/_access/getCustomer?type=json&customer=${customer}&key=${second.key}`)
      ).json();
      expect(suspended.code).toBe(-1);
      expect((await runCli(['customer', 'activate', customer], env)).code).toBe(0);
      const active = await (
        await fetch(`${server.url}/_access/getCustomer?type=json&customer=${customer}&key=${second.key}`)
      ).json();
      expect(active.code).toBe(0);
    } finally {
      server.child.kill('SIGTERM');
    }
  });

  it('refuses a bad time zone with a clear message and a non-zero exit', async () => {
    const result = await runCli(['customer', 'create', '--name', 'X', '--time-zone', 'Nowhere/Land'], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('unknown time zone "Nowhere/Land"');
  });

  it('revoking a key that is not the customer’s fails', async () => {
    const { customer } = JSON.parse((await runCli(['customer', 'create', '--name', 'Y', '--json'], env)).stdout) as {
      customer: string;
    };
    const result = await runCli(['key', 'revoke', customer, 'f'.repeat(32)], env);
    expect(result.code).toBe(1);
    // Said as every other failure of the command is, and without echoing the key given.
    expect(result.stderr).toBe('baton: no live key of that customer matches\n');
  });
});

describe('baton serve on an empty database', () => {
  it('creates a first customer, prints its credentials once, and they work', async () => {
    const first = { DATABASE_URL: join(dir, 'first.db') };
    const server = await startCliServer(first);
    try {
      const out = server.output();
      const customer = /customer: ([A-Z0-9]{16})/.exec(out)?.[1];
      const key = /key:\s+([0-9a-f]{32})/.exec(out)?.[1];
      expect(customer).toBeDefined();
      expect(key).toBeDefined();
      const answer = await (
        await fetch(`${server.url}/_access/getCustomer?type=json&customer=${customer}&key=${key}`)
      ).json();
      expect(answer.code).toBe(0);
    } finally {
      server.child.kill('SIGTERM');
    }
    const again = await startCliServer(first);
    try {
      expect(again.output()).not.toContain('Created the first customer');
    } finally {
      again.child.kill('SIGTERM');
    }
  });
});
