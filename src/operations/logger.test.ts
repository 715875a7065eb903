/**
 * LOG_FORMAT: a real `baton serve` process writes JSON lines when told to (and
 * by default when stdout is not a terminal), and pino-pretty's lines for people
 * with LOG_FORMAT=pretty — one line per request either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { startServerProcess, type ServerProcess } from '../../test/process.js';

describe('LOG_FORMAT', () => {
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    await database?.drop();
    server = database = undefined;
  });

  it('defaults to json when stdout is not a terminal; refuses anything but json or pretty', () => {
    expect(process.stdout.isTTY ? 'pretty' : 'json').toBe(loadConfig({}).logFormat);
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow('LOG_FORMAT must be json or pretty, got "xml"');
  });

  it.each(['json', 'pretty'] as const)('writes one %s line per request', async (format) => {
    database = await createTestDatabase();
    // The test is the trusted proxy in front, so its X-Request-Id names the line to look for.
    server = await startServerProcess({
      DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
      LOG_FORMAT: format,
      TRUST_PROXY: '127.0.0.1',
    });
    const response = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'log-format-1' } });
    expect(response.status).toBe(200);
    await server.waitForStdout('log-format-1');
    // Give a second line (there must be none) a moment to appear.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const mine = server
      .stdout()
      .split('\n')
      .filter((line) => line.includes('log-format-1'));
    expect(mine).toHaveLength(1);
    if (format === 'json') {
      expect(JSON.parse(mine[0]!)).toMatchObject({ reqId: 'log-format-1', msg: 'request', route: '/healthz' });
    } else {
      expect(mine[0]).not.toMatch(/^\{/);
      expect(mine[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request \{.*"reqId":"log-format-1"/);
      expect(mine[0]).toContain('"route":"/healthz"');
    }
  });
});
