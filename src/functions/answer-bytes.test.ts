/**
 * The exact bytes of the big answers, pinned: getConferenceData and
 * getUpcomingConference in JSON and XML, for customers in several time zones
 * (with reservations on both sides of their daylight-saving changes), persons
 * with custom values and text that needs escaping or cannot be carried in XML.
 * Every UID, key, PIN and token comes from a counter and the clock is fixed, so
 * the answers are the same on every run and on both databases: any change to a
 * presenter, a writer or the date formatting that moves one byte fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Random } from '../random.js';
import { startTestServer, type Credentials, type TestServer } from '../../test/harness.js';
import { reservationParams } from '../../test/reservations.js';

/** UIDs, keys and PINs from counters: the same answers on every run. */
function countingRandom(): Random {
  let uids = 0;
  let keys = 0;
  let pins = 100_000;
  return {
    uid: () => `T${String(++uids).padStart(15, '0')}`,
    key: () => (++keys).toString(16).padStart(32, '0'),
    pin: () => String(++pins),
  };
}

/** Text a client may send that every writer must carry exactly (JSON) or escape/drop (XML). */
const oddText = [
  'Zoë & "Bob" <b>bold</b> \\ \' / ]]> &amp;',
  'ctl:\u0001\u0008\u000b\u000c\u001f\u007f end',
  'tab\tnewline\ncr\r',
  'seps \u2028 \u2029 bom \ufeff nonchar \ufffe \uffff',
  'astral 😀 𝄞 漢字 עברית',
];

/** The odd texts as names: a name is one line, so its controls and line breaks (refused by the name rule) become '?'. */
const oddName = (i: number) =>
  oddText[i % oddText.length]!.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g, '?');

/** Instants around the daylight-saving changes of the zones below (2026), in UTC. */
const dstEdges = [
  '2026-03-08T06:45:00Z', // New York springs forward at 07:00Z
  '2026-03-29T00:45:00Z', // London and Berlin at 01:00Z
  '2026-04-04T14:45:00Z', // Lord Howe falls back half an hour at 15:00Z
  '2026-10-03T15:45:00Z', // Lord Howe springs forward half an hour at 15:30Z
  '2026-10-25T00:45:00Z', // London and Berlin fall back at 01:00Z
  '2026-11-01T05:45:00Z', // New York falls back at 06:00Z
];

const zones = ['America/New_York', 'Europe/London', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'];

describe('the bytes of getConferenceData and getUpcomingConference', () => {
  let server: TestServer;
  const customers = new Map<string, { credentials: Credentials; data: string }>();

  beforeAll(async () => {
    server = await startTestServer({
      random: countingRandom(),
      config: { publicUrl: 'https://baton.example' },
      did: '+1 555 0100',
    });
    const ok = (answer: { code: number; message: string }, what: string) => {
      if (answer.code !== 0) throw new Error(`${what}: ${answer.code} ${answer.message}`);
    };
    let n = 0;
    for (const zone of zones) {
      const as = await server.addCustomer({ name: `Customer in ${zone}`, timeZone: zone, did: `+1 555 01${n++}` });
      ok(
        await server.call(
          'updateCustomValue',
          { objectType: 'customer', objectUID: as.customer, customKey: 'region', customValue: oddText[0]! },
          { as },
        ),
        'customer custom value',
      );
      // The conference whose data is read: reservations across every DST edge, 40 persons.
      const created = await server.call(
        'createConferenceReserved',
        {
          name: `Data ${oddText[0]}`,
          ...reservationParams(dstEdges.map((startDate, i) => ({ startDate, duration: 30 + 15 * i }))),
        },
        { as },
      );
      ok(created, 'createConferenceReserved');
      const data = created.value.UID as string;
      ok(
        await server.call(
          'updateCustomValue',
          { objectType: 'conference', objectUID: data, customKey: 'team', customValue: oddText[3]! },
          { as },
        ),
        'conference custom value',
      );
      for (let i = 0; i < 40; i++) {
        const added = await server.call(
          'addPerson',
          {
            conference: data,
            role: i === 0 ? 'PRESENTER' : 'PARTICIPANT',
            name: `${oddName(i)} #${i}`,
            email: `person${i}@example.com`,
            notes: oddText[(i + 1) % oddText.length]!,
            custom1: i % 3 === 0 ? oddText[(i + 2) % oddText.length]! : '',
            custom2: `c2-${i}`,
          },
          { as },
        );
        ok(added, 'addPerson');
        if (i % 4 === 0) {
          for (const customKey of ['b-key', 'a-key']) {
            ok(
              await server.call(
                'updateCustomValue',
                {
                  objectType: 'person',
                  objectUID: added.value.UID,
                  customKey,
                  customValue: `${customKey} ${oddText[i % oddText.length]}`,
                },
                { as },
              ),
              'person custom value',
            );
          }
        }
      }
      // More upcoming conferences for the list, one with no reservation ahead of the others.
      for (let i = 0; i < 4; i++) {
        ok(
          await server.call(
            'createConferenceReserved',
            {
              name: `Upcoming ${i} ${oddName(i)}`,
              ...reservationParams([{ startDate: `2026.0${2 + i}.1${i} 0${i}:15:00`, duration: 45 }]),
            },
            { as },
          ),
          'upcoming conference',
        );
      }
      customers.set(zone, { credentials: as, data });
    }
  });
  afterAll(() => server.close());

  /** The raw answer text of one call. */
  async function raw(fn: string, params: Record<string, string>, type: 'json' | 'xml', as: Credentials) {
    const query = new URLSearchParams({ ...as, type, ...params });
    const response = await fetch(`${server.url}/_access/${fn}?${query.toString()}`);
    expect(response.status).toBe(200);
    return response.text();
  }

  for (const zone of zones) {
    for (const type of ['json', 'xml'] as const) {
      it(`getConferenceData in ${zone} (${type})`, async () => {
        const { credentials, data } = customers.get(zone)!;
        const text = await raw('getConferenceData', { conferenceUID: data }, type, credentials);
        expect(text).toContain(type === 'json' ? '"code":0}' : '<code>0</code>');
        await expect(text).toMatchFileSnapshot(
          `./__snapshots__/answer-bytes/get-conference-data.${zone.replace('/', '-')}.${type}`,
        );
      });
      it(`getUpcomingConference in ${zone} (${type})`, async () => {
        const { credentials } = customers.get(zone)!;
        const text = await raw('getUpcomingConference', {}, type, credentials);
        expect(text).toContain(type === 'json' ? '"code":0}' : '<code>0</code>');
        await expect(text).toMatchFileSnapshot(
          `./__snapshots__/answer-bytes/get-upcoming-conference.${zone.replace('/', '-')}.${type}`,
        );
      });
    }
  }

  it('the JSON answer parses and carries every odd text exactly; the XML one drops only what XML cannot carry', async () => {
    const { credentials, data } = customers.get('America/New_York')!;
    const json = JSON.parse(await raw('getConferenceData', { conferenceUID: data }, 'json', credentials));
    expect(json.value.person).toHaveLength(40);
    expect(json.value.person[1].name).toBe(`${oddName(1)} #1`);
    expect(json.value.person[0].custom).toEqual([
      { key: 'a-key', value: `a-key ${oddText[0]}` },
      { key: 'b-key', value: `b-key ${oddText[0]}` },
    ]);
    const xml = await raw('getConferenceData', { conferenceUID: data }, 'xml', credentials);
    expect(xml).toContain('<notes>ctl:\u007f end</notes>');
    expect(xml).toContain('Zoë &amp; "Bob" &lt;b&gt;bold&lt;/b&gt; \\ \' / ]]&gt; &amp;amp;');
    expect(xml).not.toMatch(/[\u0001\u0008\u000b\u000c\u001f\ufffe\uffff]/);
  });
});
