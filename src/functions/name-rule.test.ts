/**
 * The one name rule (src/domain/names.ts) over real HTTP, for every name the API takes: a person's name
 * (addPerson, updatePerson), a conference's name and a custom value's key. A name of spaces alone or of
 * invisible characters, or one holding a CR, LF or other control, is a -2 with nothing written; a person's
 * name stays optional (empty is no name) and any other name is kept exactly as sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml, startTestServer, type TestServer } from '../../test/harness.js';

let server: TestServer;
let conference: string;

beforeAll(async () => {
  server = await startTestServer();
  conference = (await server.call('createConferenceReservationless', { name: 'Names' })).value.UID;
});
afterAll(async () => {
  await server?.close();
});

async function count(table: 'persons' | 'conferences' | 'custom_values'): Promise<number> {
  const rows = await server.services.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .execute();
  return Number(rows[0]!.n);
}

const blanks = [' ', '   ', '\t \n', '\u00a0\u3000', '\u200b', '\ufeff '];
const broken = ['Ann\r\nBcc: eve@example.com', 'Ann\nBob', 'Ann\rBob', 'A\u0001B', 'A\u001bB', 'A\u0085B', 'A\u2028B'];

describe("a person's name", () => {
  it('addPerson refuses a blank name or one with a control or line break, and writes nothing', async () => {
    const before = await count('persons');
    for (const name of blanks) {
      const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT', name });
      expect(answer, JSON.stringify(name)).toEqual({ code: -2, message: 'name must not be blank', value: null });
    }
    for (const name of broken) {
      const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT', name });
      expect(answer, JSON.stringify(name)).toEqual({
        code: -2,
        message: 'name must not contain control characters or line breaks',
        value: null,
      });
    }
    const xml = parseXml(await server.callXml('addPerson', { conference, role: 'PARTICIPANT', name: '  ' }));
    expect(xml.document).toMatchObject({ code: '-2', message: 'name must not be blank' });
    expect(await count('persons')).toBe(before);
  });

  it('addPerson keeps an empty name (none) and any other name exactly as sent', async () => {
    for (const name of ['', '  Ann Lee\t', 'Zoë 李']) {
      const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT', name });
      expect(answer.code).toBe(0);
      expect(answer.value.name).toBe(name);
    }
  });

  it('updatePerson refuses the same names for field name, and leaves the person as it was', async () => {
    const person = (await server.call('addPerson', { conference, role: 'PARTICIPANT', name: 'Ann' })).value.UID;
    for (const [value, message] of [
      ['   ', 'value for name must not be blank'],
      ['\u200b', 'value for name must not be blank'],
      ['Ann\r\nX', 'value for name must not contain control characters or line breaks'],
    ] as const) {
      const answer = await server.call('updatePerson', { person, field: 'name', value });
      expect(answer, JSON.stringify(value)).toEqual({ code: -2, message, value: null });
    }
    const row = await server.services.store.db
      .selectFrom('persons')
      .select('name')
      .where('uid', '=', person)
      .executeTakeFirst();
    expect(row?.name).toBe('Ann');
    const cleared = await server.call('updatePerson', { person, field: 'name', value: '' });
    expect(cleared.code).toBe(0);
    expect(cleared.value.name).toBe('');
  });
});

describe("a conference's name and a custom value's key", () => {
  it('createConferenceReservationless refuses a name with a CR, LF or control, and writes nothing', async () => {
    const before = await count('conferences');
    for (const name of broken) {
      const answer = await server.call('createConferenceReservationless', { name });
      expect(answer, JSON.stringify(name)).toEqual({
        code: -2,
        message: 'name must not contain control characters or line breaks',
        value: null,
      });
    }
    expect(await count('conferences')).toBe(before);
  });

  it('updateCustomValue refuses a blank key or one with a control, and writes nothing', async () => {
    const before = await count('custom_values');
    for (const [customKey, message] of [
      ['   ', 'customKey is required'],
      ['\u200b', 'customKey must not be blank'],
      ['badge\r\nX', 'customKey must not contain control characters or line breaks'],
    ] as const) {
      const answer = await server.call('updateCustomValue', {
        objectType: 'conference',
        objectUID: conference,
        customKey,
        customValue: 'v',
      });
      expect(answer, JSON.stringify(customKey)).toEqual({ code: -2, message, value: null });
    }
    expect(await count('custom_values')).toBe(before);
  });
});
