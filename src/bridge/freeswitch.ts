/**
 * FreeSWITCH integration, with FreeSWITCH's own modules and no code on the box:
 *
 * - mod_xml_curl asks `POST /bridge/v1/freeswitch/dialplan` for the dialplan
 *   of every call (form fields `section=dialplan`, `Caller-Destination-Number`,
 *   `Caller-Caller-ID-Number`, `Hunt-Context`, `variable_<name>` …). For a
 *   number that is a customer's DID Baton answers an extension that collects
 *   the PIN (play_and_get_digits into `baton_pin`) and transfers to
 *   `baton-admit`; that transfer makes FreeSWITCH ask again, now with
 *   `variable_baton_pin`, and Baton answers `conference <conferenceUID>@default`
 *   with the caller's member flags — or a prompt and a hangup. Any other
 *   number gets "not found", so FreeSWITCH falls back to its own dialplan.
 * - mod_xml_cdr posts each channel's CDR to `POST /bridge/v1/freeswitch/cdr`
 *   at hangup; the `baton_caller_uid` variable set at admission names the
 *   caller that left.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import type { Services } from '../context.js';
import type { Admission, AdmitReason, PinAdmission } from './admission.js';
import { resolveDids } from './admission.js';
import { leaveCallerByUid } from './tenant.js';

/** The extension the PIN-entry step transfers to, so FreeSWITCH asks Baton again with the PIN. */
export const admitExtension = 'baton-admit';
/** The mod_conference profile callers are placed in. */
export const conferenceProfile = 'default';
/** How many PIN entries a call gets before Baton hangs up. */
export const pinAttempts = 3;

/** Prompts from FreeSWITCH's standard sound set. */
export const prompts = {
  enterPin: 'conference/conf-pin.wav',
  badPin: 'conference/conf-bad-pin.wav',
  locked: 'conference/conf-locked.wav',
} as const;

const refusalPrompt: Record<AdmitReason, string> = {
  'unknown-pin': prompts.badPin,
  throttled: prompts.badPin,
  'customer-suspended': prompts.locked,
  'conference-canceled': prompts.locked,
  'conference-not-open': prompts.locked,
  'conference-closed': prompts.locked,
};

const xmlContentType = 'text/xml; charset=utf-8';

function attr(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function regexLiteral(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

type Action = [application: string, data?: string];

function document(context: string, extension: string, destination: string, actions: Action[]): string {
  const lines = actions.map(([app, data]) =>
    data === undefined
      ? `          <action application="${attr(app)}"/>`
      : `          <action application="${attr(app)}" data="${attr(data)}"/>`,
  );
  return [
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
    '<document type="freeswitch/xml">',
    '  <section name="dialplan" description="Baton conference admission">',
    `    <context name="${attr(context)}">`,
    `      <extension name="${attr(extension)}">`,
    `        <condition field="destination_number" expression="^${attr(regexLiteral(destination))}$">`,
    ...lines,
    '        </condition>',
    '      </extension>',
    '    </context>',
    '  </section>',
    '</document>',
    '',
  ].join('\n');
}

/** "Not mine": FreeSWITCH goes on to its static dialplan. */
export const notFoundDocument = [
  '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
  '<document type="freeswitch/xml">',
  '  <section name="result">',
  '    <result status="not found"/>',
  '  </section>',
  '</document>',
  '',
].join('\n');

function collectPin(context: string, attempt: number): Action[] {
  return [
    ['set', `baton_attempt=${attempt}`],
    ['unset', 'baton_pin'],
    // min max tries timeout terminators prompt invalid-prompt variable regexp digit-timeout
    ['play_and_get_digits', `6 6 3 7000 # ${prompts.enterPin} ${prompts.badPin} baton_pin \\d+ 5000`],
    ['transfer', `${admitExtension} XML ${context}`],
  ];
}

/** mod_conference member flags for an admitted caller. */
export function memberFlags(admitted: Extract<Admission, { admitted: true }>): string[] {
  const flags: string[] = [];
  // No microphone (listen-only) is a mute the caller does not lift.
  if (admitted.mute || !admitted.mic) flags.push('mute');
  if (admitted.deaf) flags.push('deaf');
  if (admitted.role === 'PRESENTER' || admitted.role === 'OPERATOR') flags.push('moderator');
  if (!admitted.backgroundMusic) flags.push('nomoh');
  return flags;
}

function admittedActions(admitted: Extract<Admission, { admitted: true }>): Action[] {
  const flags = memberFlags(admitted);
  const target = `${admitted.conferenceUID}@${conferenceProfile}${flags.length ? `+flags{${flags.join('|')}}` : ''}`;
  return [
    ['set', `baton_caller_uid=${admitted.callerUID}`],
    ['set', `baton_call_uid=${admitted.callUID}`],
    ['set', `baton_conference_uid=${admitted.conferenceUID}`],
    ['set', `baton_role=${admitted.role}`],
    ['set', `baton_greenroom=${admitted.greenroom}`],
    ['conference', target],
  ];
}

/** The fields of a form body (FreeSWITCH posts application/x-www-form-urlencoded). */
function formFields(request: FastifyRequest): URLSearchParams {
  return new URLSearchParams(typeof request.body === 'string' ? request.body : '');
}

/** Answers one mod_xml_curl dialplan request. */
export async function answerDialplan(
  services: Services,
  admission: PinAdmission,
  form: URLSearchParams,
): Promise<string> {
  if (form.get('section') !== 'dialplan') return notFoundDocument;
  const destination = form.get('Caller-Destination-Number') ?? form.get('Hunt-Destination-Number') ?? '';
  const context = form.get('Hunt-Context') || form.get('Caller-Context') || 'public';
  const ani = (form.get('Caller-Caller-ID-Number') ?? form.get('Caller-ANI') ?? '').slice(0, 32);
  if (destination.length === 0 || destination.length > 64 || context.length > 64) return notFoundDocument;

  if (destination !== admitExtension) {
    // First request of a call: ours only when the number dialled is a customer's DID.
    if (!/^[0-9+*#]{1,32}$/.test(destination)) return notFoundDocument;
    if ((await resolveDids(services, destination)).length === 0) return notFoundDocument;
    return document(context, 'baton-pin', destination, [
      ['set', `baton_did=${destination}`],
      ['answer'],
      ['sleep', '500'],
      ...collectPin(context, 1),
    ]);
  }

  const did = form.get('variable_baton_did') ?? '';
  if (!/^[0-9+*#]{1,32}$/.test(did)) return notFoundDocument;
  const attempt = Number(form.get('variable_baton_attempt') ?? '1') || 1;
  const result = await admission.admit({
    did,
    pin: (form.get('variable_baton_pin') ?? '').slice(0, 16),
    ani,
    server: (form.get('FreeSWITCH-Hostname') ?? form.get('hostname') ?? '').slice(0, 100),
  });
  if (result.admitted) return document(context, 'baton-conference', admitExtension, admittedActions(result));
  if (result.reason === 'unknown-pin' && attempt < pinAttempts) {
    return document(context, 'baton-pin-retry', admitExtension, [
      ['playback', prompts.badPin],
      ...collectPin(context, attempt + 1),
    ]);
  }
  return document(context, 'baton-refused', admitExtension, [
    ['set', `baton_refused=${result.reason}`],
    ['playback', refusalPrompt[result.reason]],
    ['hangup', 'CALL_REJECTED'],
  ]);
}

const cdrParser = new XMLParser({ parseTagValue: false, ignoreAttributes: true, processEntities: true });

/**
 * The XML of a CDR as mod_xml_cdr posts it: `cdr=<url-encoded XML>`
 * (encode=true), `cdr=<base64>` (encode=base64), `cdr=<raw XML>` (encode=false)
 * or the bare XML (encode=textxml).
 */
export function cdrXml(contentType: string, body: string): string {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'text/xml' || type === 'application/xml') return body;
  if (type === 'application/x-www-form-urlencoded') return new URLSearchParams(body).get('cdr') ?? '';
  const value = body.startsWith('cdr=') ? body.slice(4) : body;
  if (type === 'application/x-www-form-base64-encoded') return Buffer.from(value, 'base64').toString('utf8');
  return value;
}

/** The `baton_caller_uid` variable of a CDR, or null when the channel was not one of Baton's callers. */
export function callerUidOfCdr(xml: string): string | null {
  let parsed: unknown;
  try {
    parsed = cdrParser.parse(xml);
  } catch {
    return null;
  }
  const raw = (parsed as { cdr?: { variables?: Record<string, unknown> } }).cdr?.variables?.baton_caller_uid;
  if (typeof raw !== 'string') return null;
  // The CDR writer URL-encodes variable values.
  let value = raw;
  try {
    value = decodeURIComponent(raw);
  } catch {
    // keep it as it came
  }
  return /^[A-Z0-9]{1,64}$/i.test(value) ? value : null;
}

/** Registers the two FreeSWITCH routes inside the bridge's scope (same token). */
export function registerFreeswitchRoutes(bridge: FastifyInstance, services: Services, admission: PinAdmission): void {
  bridge.post('/freeswitch/dialplan', async (request, reply) => {
    const xml = await answerDialplan(services, admission, formFields(request));
    return reply.header('content-type', xmlContentType).send(xml);
  });

  bridge.post('/freeswitch/cdr', async (request) => {
    const body = typeof request.body === 'string' ? request.body : '';
    const callerUid = callerUidOfCdr(cdrXml(request.headers['content-type'] ?? '', body));
    // Every channel's CDR arrives here; those of other calls are acknowledged and ignored,
    // so FreeSWITCH does not retry them.
    if (callerUid === null) return { ok: true, caller: null };
    const left = await leaveCallerByUid(services, callerUid);
    return { ok: true, caller: callerUid, found: left !== undefined, callStatus: left?.call.status ?? null };
  });
}
