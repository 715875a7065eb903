import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-cli-user-'));
const env = { DATABASE_URL: join(dir, 'cli.db'), PUBLIC_URL: 'https://baton.example.org' };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('baton user create', () => {
  it('prints a one-time link at PUBLIC_URL, refuses a taken address and an unknown role', async () => {
    const { customer } = JSON.parse((await runCli(['customer', 'create', '--name', 'Acme', '--json'], env)).stdout) as {
      customer: string;
    };
    const created = await runCli(
      ['user', 'create', customer, '--email', 'Ann@Example.org', '--role', 'owner', '--json'],
      env,
    );
    expect(created.code).toBe(0);
    const answer = JSON.parse(created.stdout) as { email: string; role: string; link: string };
    expect(answer).toMatchObject({ email: 'ann@example.org', role: 'owner' });
    expect(answer.link).toMatch(/^https:\/\/baton\.example\.org\/admin\/password\?token=[A-Za-z0-9_-]{43}$/);

    const again = await runCli(['user', 'create', customer, '--email', 'ann@example.org'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('a user with email ann@example.org already exists');
    const role = await runCli(['user', 'create', customer, '--email', 'bob@example.org', '--role', 'boss'], env);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('role must be owner or staff');
    const unknown = await runCli(['user', 'create', 'NOSUCHCUSTOMER00', '--email', 'bob@example.org'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no customer NOSUCHCUSTOMER00');
  });
});
