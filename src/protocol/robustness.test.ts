import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';
import { apiFunctions } from '../functions/index.js';

/** Values that have broken servers before: empty, huge, control characters, markup, numbers out of range. */
const nasty = [
  '',
  ' ',
  '0',
  '-1',
  '1e309',
  '99999999999999999999',
  'NaN',
  'true',
  'null',
  'undefined',
  '[object Object]',
  '<script>alert(1)</script>',
  "'; drop table persons; --",
  '\u0000\u0001\u001f',
  '\uD800',
  '🎉'.repeat(50),
  'x'.repeat(5000),
  '2026.02.30 25:61:61',
  '9999.12.31 23:59:59',
  '../../etc/passwd',
  '%00',
];

/** A small deterministic generator, so a failure can be replayed. */
function* draws(seed: number): Generator<number> {
  let state = seed;
  for (;;) {
    state = (state * 1103515245 + 12345) % 2147483648;
    yield state / 2147483648;
  }
}

describe('robustness: any input gets an envelope, never a crash or a 500', () => {
  let server: TestServer;
  let conference: string;
  let person: string;
  beforeAll(async () => {
    server = await startTestServer();
    conference = await createConference(server);
    person = (await server.call('addPerson', { conference, role: 'PARTICIPANT' })).value.UID;
  });
  afterAll(() => server.close());

  it.each(apiFunctions.map((fn) => [fn.name, fn] as const))('%s', async (_name, fn) => {
    const shape = (fn.params as unknown as { shape?: Record<string, unknown> }).shape ?? {};
    const names = [...Object.keys(shape), 'reservationCount', 'startDate1', 'duration1', 'estimatedCallers1'];
    const random = draws(fn.name.length * 7919);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random.next().value! * items.length)]!;
    for (let round = 0; round < 25; round++) {
      const params: Record<string, string> = {};
      for (const name of names) {
        // Sometimes a real UID, so the call gets past the lookups into the rules.
        params[name] = pick([...nasty, conference, person, conference]);
      }
      const answer = await server.call(fn.name, params);
      expect(answer.code, `${fn.name} ${JSON.stringify(params).slice(0, 300)}`).not.toBe(-4);
      expect(typeof answer.message).toBe('string');
      const xml = await server.callXml(fn.name, params);
      expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><document>')).toBe(true);
      expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    }
  });
});
