import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';

const run = promisify(execFile);
const hasPhp = await run('php', ['-r', 'exit(function_exists("curl_init") ? 0 : 1);']).then(
  () => true,
  () => false,
);
// CI installs php-cli and php-curl, so there this always runs.
const phpTest = hasPhp || process.env.CI ? it : it.skip;

describe('the PHP sample of the API document', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  phpTest('registers a person and gets back a 6-digit PIN', async () => {
    const conference = await createConference(server);
    const { stdout } = await run('php', [new URL('./add-person.php', import.meta.url).pathname, conference], {
      env: {
        ...process.env,
        BATON_URL: server.url,
        BATON_CUSTOMER: server.credentials.customer,
        BATON_KEY: server.credentials.key,
      },
    });
    const pin = /PIN: '(\d{6})'/.exec(stdout)?.[1];
    expect(pin).toMatch(/^\d{6}$/);
    const data = await server.call('getConferenceData', { conferenceUID: conference });
    expect(data.value.person).toEqual([
      expect.objectContaining({
        PIN: pin,
        name: 'Ann Example',
        email: 'ann@example.org',
        notes: 'Registered from PHP',
      }),
    ]);
  });
});
