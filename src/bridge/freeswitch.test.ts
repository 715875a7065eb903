/**
 * The FreeSWITCH side, tested with the HTTP requests FreeSWITCH itself sends:
 * mod_xml_curl's dialplan fetch (a form POST of `hostname`, `section`,
 * `tag_name`, `key_name`, `key_value` and then every header of the channel's
 * REQUEST_PARAMS event, `variable_…` included, with HTTP Basic credentials
 * from `gateway-credentials`) and mod_xml_cdr's hangup record.
 */
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPerson, testBridgeToken } from '../../test/bridge.js';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';
import { createReservedConference, utcText } from '../../test/reservations.js';
import { updateConference } from '../store/conference.repository.js';

const basic = `Basic ${Buffer.from(`freeswitch:${testBridgeToken}`).toString('base64')}`;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => name === 'action',
});

interface Channel {
  uuid: string;
  destination: string;
  ani: string;
  variables: Record<string, string>;
}

/**
 * The body mod_xml_curl posts for a dialplan lookup (field order as FreeSWITCH
 * writes it: the fixed fields, the event's core headers, the channel and
 * caller profile, `variable_…`, then the Hunt-… profile).
 */
function dialplanRequestBody(channel: Channel): string {
  const fields: [string, string][] = [
    ['hostname', 'fs1.example.net'],
    ['section', 'dialplan'],
    ['tag_name', ''],
    ['key_name', ''],
    ['key_value', ''],
    ['Event-Name', 'REQUEST_PARAMS'],
    ['Core-UUID', '9f1c1a52-2d3b-4c55-9c61-8f1b6bd0f0aa'],
    ['FreeSWITCH-Hostname', 'fs1.example.net'],
    ['FreeSWITCH-Switchname', 'fs1.example.net'],
    ['FreeSWITCH-IPv4', '10.0.0.5'],
    ['FreeSWITCH-IPv6', '::1'],
    ['Event-Date-Local', '2026-01-15 17:00:00'],
    ['Event-Date-GMT', 'Thu, 15 Jan 2026 17:00:00 GMT'],
    ['Event-Date-Timestamp', '1768496400000000'],
    ['Event-Calling-File', 'mod_dialplan_xml.c'],
    ['Event-Calling-Function', 'dialplan_xml_locate'],
    ['Event-Calling-Line-Number', '635'],
    ['Event-Sequence', '4711'],
    ['Channel-State', 'CS_ROUTING'],
    ['Channel-Call-State', 'RINGING'],
    ['Channel-State-Number', '2'],
    ['Channel-Name', `sofia/external/${channel.ani}@203.0.113.9`],
    ['Unique-ID', channel.uuid],
    ['Call-Direction', 'inbound'],
    ['Presence-Call-Direction', 'inbound'],
    ['Channel-HIT-Dialplan', 'true'],
    ['Channel-Call-UUID', channel.uuid],
    ['Answer-State', channel.variables.baton_did ? 'answered' : 'ringing'],
    ['Caller-Direction', 'inbound'],
    ['Caller-Logical-Direction', 'inbound'],
    ['Caller-Username', channel.ani],
    ['Caller-Dialplan', 'XML'],
    ['Caller-Caller-ID-Name', 'Caller'],
    ['Caller-Caller-ID-Number', channel.ani],
    ['Caller-Orig-Caller-ID-Name', 'Caller'],
    ['Caller-Orig-Caller-ID-Number', channel.ani],
    ['Caller-Network-Addr', '203.0.113.9'],
    ['Caller-ANI', channel.ani],
    ['Caller-Destination-Number', channel.destination],
    ['Caller-Unique-ID', channel.uuid],
    ['Caller-Source', 'mod_sofia'],
    ['Caller-Context', 'public'],
    ['Caller-Channel-Name', `sofia/external/${channel.ani}@203.0.113.9`],
    ['Caller-Profile-Index', channel.variables.baton_did ? '2' : '1'],
    ['Caller-Profile-Created-Time', '1768496400000000'],
    ['Caller-Channel-Created-Time', '1768496400000000'],
    ['variable_direction', 'inbound'],
    ['variable_uuid', channel.uuid],
    ['variable_session_id', '17'],
    ['variable_sip_from_user', channel.ani],
    ['variable_sip_to_user', '15550100'],
    ['variable_sofia_profile_name', 'external'],
    ...Object.entries(channel.variables).map(([k, v]): [string, string] => [`variable_${k}`, v]),
    ['Hunt-Username', channel.ani],
    ['Hunt-Dialplan', 'XML'],
    ['Hunt-Caller-ID-Number', channel.ani],
    ['Hunt-ANI', channel.ani],
    ['Hunt-Destination-Number', channel.destination],
    ['Hunt-Unique-ID', channel.uuid],
    ['Hunt-Source', 'mod_sofia'],
    ['Hunt-Context', 'public'],
  ];
  // switch_event_build_param_string: name=url-encoded value, joined with &.
  return fields.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

describe('FreeSWITCH mod_xml_curl dialplan and mod_xml_cdr hangups', () => {
  let server: TestServer;
  let conference: string;

  beforeAll(async () => {
    server = await startTestServer({ config: { bridgeToken: testBridgeToken } });
    conference = await createConference(server);
  });
  afterAll(() => server.close());

  async function fetchDialplan(channel: Channel, authorization: string | null = basic) {
    const response = await fetch(`${server.url}/bridge/v1/freeswitch/dialplan`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'freeswitch-xml/1.0',
        ...(authorization ? { authorization } : {}),
      },
      body: dialplanRequestBody(channel),
    });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  }

  /** The actions of the one extension in a dialplan answer. */
  function actions(text: string): { application: string; data?: string }[] {
    const doc = parser.parse(text).document;
    expect(doc.type).toBe('freeswitch/xml');
    expect(doc.section.name).toBe('dialplan');
    return doc.section.context.extension.condition.action;
  }

  /** Plays the part of FreeSWITCH: runs the `set`s, "collects" `pin`, follows the transfer and asks again. */
  async function dialIn(ani: string, pin: string, firstAnswer?: string) {
    const channel: Channel = { uuid: crypto.randomUUID(), destination: '15550100', ani, variables: {} };
    let text = firstAnswer ?? (await fetchDialplan(channel)).text;
    for (let step = 0; step < 5; step++) {
      const steps = actions(text);
      for (const a of steps) {
        if (a.application === 'set') {
          const [name, ...rest] = a.data!.split('=');
          channel.variables[name!] = rest.join('=');
        }
        if (a.application === 'play_and_get_digits') channel.variables.baton_pin = pin;
      }
      const transfer = steps.find((a) => a.application === 'transfer');
      if (!transfer) return { actions: steps, variables: channel.variables, text };
      channel.destination = transfer.data!.split(' ')[0]!;
      text = (await fetchDialplan(channel)).text;
    }
    throw new Error('too many transfers');
  }

  async function postCdr(contentType: string, body: string, authorization: string | null = basic) {
    const response = await fetch(`${server.url}/bridge/v1/freeswitch/cdr?uuid=${crypto.randomUUID()}`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
      body,
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  const cdrXml = (variables: Record<string, string>) =>
    `<?xml version="1.0"?>\n<cdr core-uuid="9f1c1a52" switchname="fs1.example.net"><channel_data><state>CS_REPORTING</state>` +
    `<direction>inbound</direction></channel_data><variables><direction>inbound</direction>` +
    Object.entries(variables)
      .map(([k, v]) => `<${k}>${encodeURIComponent(v)}</${k}>`)
      .join('') +
    `<hangup_cause>NORMAL_CLEARING</hangup_cause></variables></cdr>`;

  it('answers "not found" for numbers that are not a customer DID, and for other sections', async () => {
    const other = await fetchDialplan({ uuid: 'u1', destination: '4930123456', ani: '1000', variables: {} });
    expect(other.status).toBe(200);
    expect(other.type).toContain('text/xml');
    expect(parser.parse(other.text).document.section).toEqual({
      name: 'result',
      result: { status: 'not found' },
    });
    const directory = await fetch(`${server.url}/bridge/v1/freeswitch/dialplan`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
      body: 'hostname=fs1&section=directory&tag_name=domain&key_name=name&key_value=example.net',
    });
    expect(parser.parse(await directory.text()).document.section.name).toBe('result');
  });

  it('refuses a dialplan request without the bridge credentials', async () => {
    const answer = await fetchDialplan({ uuid: 'u2', destination: '15550100', ani: '1000', variables: {} }, null);
    expect(answer.status).toBe(401);
    const wrong = `Basic ${Buffer.from('freeswitch:not-the-token-at-all').toString('base64')}`;
    expect(
      (await fetchDialplan({ uuid: 'u2', destination: '15550100', ani: '1000', variables: {} }, wrong)).status,
    ).toBe(401);
  });

  it('answers a call to the DID with PIN collection and a transfer back to Baton', async () => {
    const answer = await fetchDialplan({ uuid: 'u3', destination: '15550100', ani: '+12125550100', variables: {} });
    const doc = parser.parse(answer.text).document;
    expect(doc.section.context.name).toBe('public');
    expect(doc.section.context.extension.condition).toMatchObject({
      field: 'destination_number',
      expression: '^15550100$',
    });
    expect(actions(answer.text)).toEqual([
      { application: 'set', data: 'baton_did=15550100' },
      { application: 'answer' },
      { application: 'sleep', data: '500' },
      { application: 'set', data: 'baton_attempt=1' },
      { application: 'unset', data: 'baton_pin' },
      {
        application: 'play_and_get_digits',
        data: '6 6 3 7000 # conference/conf-pin.wav conference/conf-bad-pin.wav baton_pin \\d+ 5000',
      },
      { application: 'transfer', data: 'baton-admit XML public' },
    ]);
  });

  it('routes a right PIN into conference <UID>@default with the member flags, and the CDR ends the caller', async () => {
    await updateConference(server.services.store.db, server.credentials.customer, conference, {
      settings: JSON.stringify([{ role: 'PARTICIPANT', mike: false, mute: false, deaf: false }]),
    });
    const presenter = await registerPerson(server, conference, { role: 'PRESENTER', name: 'Host' });
    const result = await dialIn('+12125550101', presenter.PIN);
    const conferenceAction = result.actions.at(-1)!;
    expect(conferenceAction).toEqual({
      application: 'conference',
      data: `${conference}@default+flags{moderator|nomoh}`,
    });
    const callerUid = result.variables.baton_caller_uid!;
    expect(callerUid).toMatch(/^[A-Z0-9]{16}$/);
    expect(result.variables).toMatchObject({ baton_conference_uid: conference, baton_role: 'PRESENTER' });
    const live = await server.call('getConference', { conferenceUID: conference });
    expect(live.value).toMatchObject({ status: 'ACTIVE', activeCallUID: result.variables.baton_call_uid });

    // A listen-only participant: the call's RoleFlags (copied at its start) say no microphone.
    const listener = await registerPerson(server, conference);
    const second = await dialIn('+12125550102', listener.PIN);
    expect(second.actions.at(-1)).toEqual({
      application: 'conference',
      data: `${conference}@default+flags{mute|nomoh}`,
    });

    // Hangups arrive as mod_xml_cdr posts: encode=true (url-encoded form), then encode=textxml.
    const first = await postCdr(
      'application/x-www-form-urlencoded',
      `cdr=${encodeURIComponent(cdrXml({ baton_caller_uid: callerUid, baton_call_uid: result.variables.baton_call_uid! }))}`,
    );
    expect(first).toEqual({ status: 200, body: { ok: true, caller: callerUid, found: true, callStatus: 'ACTIVE' } });
    const last = await postCdr('text/xml', cdrXml({ baton_caller_uid: second.variables.baton_caller_uid! }));
    expect(last.body).toMatchObject({ found: true, callStatus: 'CLOSED' });
    const after = await server.call('getConference', { conferenceUID: conference });
    expect(after.value).toMatchObject({ status: 'IDLE', activeCallUID: null });
  });

  it('acknowledges and ignores the CDRs of channels that are not Baton callers', async () => {
    const other = await postCdr('application/x-www-form-plaintext', `cdr=${cdrXml({ sip_from_user: '1000' })}`);
    expect(other).toEqual({ status: 200, body: { ok: true, caller: null } });
    const base64 = await postCdr(
      'application/x-www-form-base64-encoded',
      `cdr=${Buffer.from(cdrXml({ baton_caller_uid: 'NOSUCHCALLER0000' })).toString('base64')}`,
    );
    expect(base64.body).toMatchObject({ caller: 'NOSUCHCALLER0000', found: false });
    expect((await postCdr('text/xml', '<cdr><variables>', basic)).status).toBe(200);
    expect((await postCdr('text/xml', cdrXml({}), null)).status).toBe(401);
  });

  it('lets a caller retry a wrong PIN twice, then plays the bad-PIN prompt and hangs up', async () => {
    await registerPerson(server, conference);
    const result = await dialIn('+12125550103', '000000');
    // Attempts 1 and 2 were answered with another collection; the third with a hangup.
    expect(result.variables.baton_attempt).toBe('3');
    expect(result.actions).toEqual([
      { application: 'set', data: 'baton_refused=unknown-pin' },
      { application: 'playback', data: 'conference/conf-bad-pin.wav' },
      { application: 'hangup', data: 'CALL_REJECTED' },
    ]);
  });

  it('plays the locked prompt for a conference that has not opened yet', async () => {
    const start = server.clock.now() + 48 * 3_600_000;
    const later = await createReservedConference(server, [{ startDate: utcText(start), duration: 60 }]);
    const person = await registerPerson(server, later);
    const result = await dialIn('+12125550104', person.PIN);
    expect(result.actions).toEqual([
      { application: 'set', data: 'baton_refused=conference-not-open' },
      { application: 'playback', data: 'conference/conf-locked.wav' },
      { application: 'hangup', data: 'CALL_REJECTED' },
    ]);
  });
});
