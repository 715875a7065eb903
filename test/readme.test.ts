import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startCliServer } from './cli.js';

const run = promisify(execFile);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The shell block between `<!-- name -->` and `<!-- /name -->` in the README. */
function block(name: string): string {
  const section = new RegExp(`<!-- ${name} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\`\\s*<!-- /${name} -->`).exec(readme);
  if (!section) throw new Error(`README has no ${name} block`);
  return section[1]!;
}

describe('the README quick start', () => {
  it('runs verbatim after the first start and registers a person with a 6-digit PIN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-readme-'));
    const server = await startCliServer({ DATABASE_URL: join(dir, 'baton.db') });
    try {
      const out = server.output();
      const customer = /customer: ([A-Z0-9]{16})/.exec(out)![1]!;
      const key = /key:\s+([0-9a-f]{32})/.exec(out)![1]!;
      // The block as written, with the first start's credentials and this server's port.
      const script = block('quick-start')
        .replace(/BATON_CUSTOMER=\S+/, `BATON_CUSTOMER=${customer}`)
        .replace(/BATON_KEY=\S+/, `BATON_KEY=${key}`)
        .replaceAll('http://127.0.0.1:8080', server.url);
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script]);
      const answer = JSON.parse(stdout);
      expect(answer.code).toBe(0);
      expect(answer.value.PIN).toMatch(/^\d{6}$/);
    } finally {
      server.child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
