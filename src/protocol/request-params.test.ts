import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';

describe('parameters with a NUL character', () => {
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    server = await startTestServer();
    conference = await createConference(server);
  });
  afterAll(() => server.close());

  it('are refused with -2 naming the parameter, on SQLite and PostgreSQL alike, and nothing is written', async () => {
    const answer = await server.call('updateConference', { conference, field: 'notes', value: 'a\u0000b' });
    expect(answer).toEqual({
      code: -2,
      message: 'value contains a NUL character (U+0000), which Baton does not accept',
      value: null,
    });
    const lookup = await server.call('getConference', { conferenceUID: `${conference}\u0000` });
    expect(lookup.code).toBe(-2);
    expect(lookup.message).toContain('conferenceUID contains a NUL character');
    const after = await server.call('getConference', { conferenceUID: conference });
    expect(after.value.notes).toBe('');
  });
});
