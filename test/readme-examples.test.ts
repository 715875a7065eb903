/**
 * The README's CLI and SDK examples, run verbatim against a fresh server: the
 * `baton` they call is the real command (from the TypeScript sources), the SDK
 * example runs as a module importing `@baton/client`.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The fenced block between `<!-- name -->` and `<!-- /name -->`. */
function example(name: string, language: string): string {
  const found = new RegExp(`<!-- ${name} -->\\s*\`\`\`${language}\\n([\\s\\S]*?)\`\`\`\\s*<!-- /${name} -->`).exec(
    readme,
  );
  if (!found) throw new Error(`README has no ${name} block`);
  return found[1]!;
}

function run(file: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { cwd: root, env: { ...process.env, ...env }, timeout: 300_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('the README examples', { timeout: 300_000 }, () => {
  let server: TestServer;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'baton-readme-examples-'));
    // `baton` on the PATH, as `npm link` would put it.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const shim = join(bin, 'baton');
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" --import tsx "${join(root, 'src/cli/main.ts')}" "$@"\n`);
    chmodSync(shim, 0o755);
    env = {
      PATH: `${bin}:${process.env.PATH}`,
      BATON_URL: server.url,
      BATON_CUSTOMER: server.credentials.customer,
      BATON_KEY: server.credentials.key,
    };
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the CLI block runs verbatim: exit 0, and it did what it says', async () => {
    const script = example('cli-example', 'sh');
    expect(script).toContain('baton conference list --upcoming');
    const result = await run('bash', ['-euo', 'pipefail', '-c', script], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\s+\S+\s+\d{6}\s+PRESENTER\s+Ann Lee\s+ann@example.org$/m);
    expect(result.stdout).toContain('"notes": "Bring slides"');
    expect(result.stdout).toContain('Board meeting');
    expect(result.stdout).toContain(`"UID": "${server.credentials.customer}"`);

    const upcoming = await server.call('getUpcomingConference');
    expect(upcoming.value.conference.map((c: { name: string }) => c.name)).toEqual(['Board meeting']);
    const possible = await server.call('getPossibleConference');
    const sync = possible.value.conference.find((c: { name: string }) => c.name === 'Weekly sync');
    expect(sync).toMatchObject({ notes: 'Bring slides', custom: [{ key: 'color', value: 'blue' }] });
  });

  it('the SDK example runs verbatim as a module', async () => {
    const file = join(root, '.tmp', `readme-sdk-example-${process.pid}.ts`);
    mkdirSync(join(root, '.tmp'), { recursive: true });
    writeFileSync(file, example('sdk-example', 'ts'));
    try {
      const result = await run(process.execPath, ['--import', 'tsx', file], env);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^Ann Lee: PIN \d{6}, http:\/\/127\.0\.0\.1:\d+\/conference\/register\/[A-Z0-9]{16}$/);
      expect(lines[1]).toMatch(/^\d+ conference\(s\) can start now$/);
      expect(lines[2]).toBe('getConference: code -2, no conference with UID NOSUCHCONFERENCE');
    } finally {
      rmSync(file, { force: true });
    }
  });
});
