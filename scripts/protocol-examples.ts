/**
 * Regenerates the JSON and XML examples in docs/protocol.md from a real run:
 * a scenario calls every function against a listening server, once asking for
 * JSON and once (on a second, identical server) for XML. Randomness and the
 * clock are seeded, so both runs — and every regeneration — produce the same
 * UIDs, PINs and times.
 *
 *   npm run docs:protocol
 *
 * Each `<!-- example: functionName -->` line in the document is followed by a
 * generated block ending in `<!-- /example -->`, replaced on every run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { startTestServer, type TestServer } from '../test/harness.js';
import type { Random } from '../src/random.js';

const docPath = new URL('../docs/protocol.md', import.meta.url);

/** A deterministic Random (mulberry32), so examples do not change between runs. */
function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return {
    uid: () => Array.from({ length: 16 }, () => alphabet[Math.floor(next() * 36)]).join(''),
    key: () => Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join(''),
    pin: () => String(Math.floor(next() * 1_000_000)).padStart(6, '0'),
  };
}

type Params = Record<string, string>;
/** One step: a function, its parameters (from what earlier steps returned), and whether to show it. */
interface Step {
  fn: string;
  params: (state: State) => Params;
  /** Keep what the answer says for later steps. */
  keep?: (value: any, state: State) => void;
  /** Work to do before the call (through the telephony bridge). */
  before?: (server: TestServer, state: State) => Promise<void>;
}
type State = Record<string, string>;

const steps: Step[] = [
  { fn: 'getCustomer', params: () => ({}) },
  { fn: 'updateCustomer', params: () => ({ field: 'timeZone', value: 'America/New_York' }) },
  {
    fn: 'createConferenceReservationless',
    params: () => ({ name: 'Weekly standup', contactEmail: 'host@example.org', estimatedCallers: '12' }),
    keep: (v, s) => {
      s.open = v.UID;
      s.openReservation = v.reservations[0];
    },
  },
  {
    fn: 'createConferenceReserved',
    params: () => ({
      name: 'Quarterly review',
      reservationCount: '2',
      startDate1: '2026.02.03 10:00:00',
      duration1: '50',
      estimatedCallers1: '40',
      startDate2: '2026.02.10 10:00:00',
      duration2: '60',
      estimatedCallers2: '40',
    }),
    keep: (v, s) => {
      s.reserved = v.UID;
      s.reservation = v.reservations[0];
    },
  },
  {
    fn: 'addConferenceReservation',
    params: (s) => ({
      conference: s.reserved!,
      startDate: '2026.02.17 10:00:00',
      duration: '45',
      estimatedCallers: '30',
    }),
    keep: (v, s) => {
      s.added = v.UID;
    },
  },
  { fn: 'getConferenceReservation', params: (s) => ({ reservationUID: s.reservation! }) },
  {
    fn: 'updateConferenceReservation',
    params: (s) => ({ reservationUID: s.added!, startDate: '2026.02.18 15:00:00', duration: '30' }),
  },
  { fn: 'removeConferenceReservation', params: (s) => ({ reservationUID: s.added! }) },
  {
    fn: 'addPerson',
    params: (s) => ({
      conference: s.reserved!,
      role: 'PRESENTER',
      name: 'Ann Lee',
      email: 'ann@example.org',
      notes: 'Speaker',
    }),
    keep: (v, s) => {
      s.person = v.UID;
    },
  },
  {
    fn: 'updatePerson',
    params: (s) => ({ person: s.person!, field: 'custom1', value: 'Finance' }),
  },
  {
    fn: 'updateCustomValue',
    params: (s) => ({
      objectType: 'conference',
      objectUID: s.reserved!,
      customKey: 'RESELLER_INFO_TEXT',
      customValue: 'Call us',
    }),
  },
  {
    fn: 'updateConference',
    params: (s) => ({ conference: s.reserved!, field: 'registerText', value: 'Bring your numbers.' }),
  },
  { fn: 'getConference', params: (s) => ({ conferenceUID: s.reserved! }) },
  { fn: 'getConferenceData', params: (s) => ({ conferenceUID: s.reserved! }) },
  { fn: 'getUpcomingConference', params: () => ({}) },
  { fn: 'getPossibleConference', params: () => ({}) },
  { fn: 'getActiveConference', params: () => ({}) },
  { fn: 'getExpiredConference', params: () => ({}) },
  {
    fn: 'addPerson',
    params: (s) => ({ conference: s.open!, role: 'PARTICIPANT', name: 'Bo Chen' }),
    keep: (v, s) => {
      s.leaving = v.UID;
    },
  },
  {
    fn: 'addPerson',
    params: (s) => ({ conference: s.open!, role: 'PARTICIPANT', name: 'Cy Diaz', email: 'cy@example.org' }),
    keep: (v, s) => {
      s.caller = v.UID;
    },
  },
  {
    fn: 'getCall',
    // Cy dials in, talks for 20 minutes and hangs up: the call is over and can be read.
    before: async (server, s) => {
      const conference = await server.call('getConferenceData', { conferenceUID: s.open! });
      const person = conference.value.person.find((p: { UID: string }) => p.UID === s.caller);
      const admitted = await bridge(server, '/admit', {
        did: person.callInNumber,
        pin: person.PIN,
        ani: '+15551234567',
      });
      s.call = admitted.callUID;
      server.clock.advance(20 * 60_000);
      await bridge(server, `/callers/${admitted.callerUID}/leave`, {});
    },
    params: (s) => ({ conferenceUID: s.open!, callUID: s.call! }),
  },
  { fn: 'getCallData', params: (s) => ({ conferenceUID: s.open!, callUID: s.call! }) },
  { fn: 'removePerson', params: (s) => ({ conference: s.open!, person: s.leaving! }) },
  { fn: 'cancelConference', params: (s) => ({ conference: s.open! }) },
  { fn: 'getCanceledConference', params: () => ({}) },
  // The event log and webhooks (nothing is delivered: the example server runs no jobs).
  { fn: 'getEvents', params: () => ({ after: '8', limit: '2' }) },
  {
    fn: 'addWebhook',
    params: () => ({
      url: 'https://crm.example.com/hooks/baton',
      eventTypes: 'person.registered,call.ended',
      description: 'CRM sync',
    }),
    keep: (v, s) => {
      s.webhook = v.UID;
    },
  },
  { fn: 'getWebhooks', params: () => ({}) },
  { fn: 'updateWebhook', params: (s) => ({ webhook: s.webhook!, eventTypes: '' }) },
  { fn: 'removeWebhook', params: (s) => ({ webhook: s.webhook! }) },
];

const bridgeToken = 'example-bridge-token-0123456789';

async function bridge(server: TestServer, path: string, body: unknown): Promise<any> {
  const response = await fetch(`${server.url}/bridge/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bridgeToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`bridge ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

function exampleServer(): Promise<TestServer> {
  return startTestServer({
    random: seededRandom(42),
    now: Date.UTC(2026, 0, 15, 17, 0, 0),
    // The address the examples' links show, as on a default installation.
    // Webhook URLs in the examples are not resolved: the host names are examples.
    config: { bridgeToken, publicUrl: 'http://127.0.0.1:8080', webhookAllowPrivate: true },
  });
}

interface Captured {
  method: 'GET' | 'POST';
  params: Params;
  /** The answer, pretty-printed, of the function's first call in the scenario. */
  answer: string;
}

/**
 * Runs the scenario on a fresh server, asking for `format`. Both runs make the
 * same calls with the same seeds, so they produce the same objects; the XML
 * run reads the UIDs it needs from its own answers, as a client would.
 */
async function runScenario(format: 'json' | 'xml'): Promise<Map<string, Captured>> {
  const server = await exampleServer();
  const out = new Map<string, Captured>();
  const state: State = {};
  try {
    const { apiFunctions } = await import('../src/functions/index.js');
    const known = new Set(apiFunctions.map((f) => f.name));
    for (const step of steps) {
      if (!known.has(step.fn)) continue;
      await step.before?.(server, state);
      const params = step.params(state);
      const method = step.fn.startsWith('get') ? 'GET' : 'POST';
      let answer: string;
      if (format === 'json') {
        const json = await server.call(step.fn, params);
        if (json.code !== 0) throw new Error(`${step.fn} failed in the scenario: ${json.code} ${json.message}`);
        step.keep?.(json.value, state);
        answer = JSON.stringify(json, null, 2);
      } else {
        const xml = await server.callXml(step.fn, params);
        const uid = /<value><UID>([A-Z0-9]{16})<\/UID>/.exec(xml)?.[1];
        const reservation = /<reservations><UID>([A-Z0-9]{16})<\/UID>/.exec(xml)?.[1];
        step.keep?.({ UID: uid, reservations: [reservation] }, state);
        answer = prettyXml(xml);
      }
      server.clock.advance(1000);
      if (!out.has(step.fn)) out.set(step.fn, { method, params, answer });
    }
  } finally {
    await server.close();
  }
  return out;
}

/** Indents our XML (no mixed content) two spaces a level. */
function prettyXml(xml: string): string {
  const tokens = xml.replace(/^<\?xml[^>]*\?>/, '').match(/<\/?[^>]+>|[^<]+/g) ?? [];
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.startsWith('</')) {
      depth--;
      lines.push(`${'  '.repeat(depth)}${token}`);
    } else if (token.startsWith('<')) {
      const text = tokens[i + 1];
      const close = tokens[i + 2];
      if (text !== undefined && !text.startsWith('<') && close?.startsWith('</')) {
        lines.push(`${'  '.repeat(depth)}${token}${text}${close}`);
        i += 2;
      } else if (text?.startsWith('</') && text.slice(2) === token.slice(1)) {
        lines.push(`${'  '.repeat(depth)}${token}${text}`);
        i += 1;
      } else {
        lines.push(`${'  '.repeat(depth)}${token}`);
        depth++;
      }
    }
  }
  return lines.join('\n');
}

function curlLine(fn: string, method: 'GET' | 'POST', params: Params, type: string): string {
  const all: Params = { customer: 'CUSTOMERUID', key: 'KEY', ...params, type };
  if (method === 'GET') {
    return `curl -s 'http://127.0.0.1:8080/_access/${fn}?${new URLSearchParams(all).toString()}'`;
  }
  const data = Object.entries(all)
    .map(([k, v]) => `--data-urlencode ${shellQuote(`${k}=${v}`)}`)
    .join(' \\\n     ');
  return `curl -s http://127.0.0.1:8080/_access/${fn} \\\n     ${data}`;
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_=.:@,/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

const jsonRun = await runScenario('json');
const xmlRun = await runScenario('xml');

// Strip the blocks of an earlier run (a block never spans another marker), then fill each marker.
let doc = readFileSync(docPath, 'utf8').replace(
  /<!-- example: (\w+) -->(?:(?!<!-- example:)[\s\S])*?<!-- \/example -->/g,
  '<!-- example: $1 -->',
);
const missing: string[] = [];
for (const [fn, c] of jsonRun) {
  const block = [
    `<!-- example: ${fn} -->`,
    '',
    `Request (${c.method}):`,
    '',
    '```sh',
    curlLine(fn, c.method, c.params, 'json'),
    '```',
    '',
    'JSON answer:',
    '',
    '```json',
    c.answer,
    '```',
    '',
    'The same request with `type=xml` (or no `type`):',
    '',
    '```xml',
    xmlRun.get(fn)?.answer ?? '',
    '```',
    '',
    '<!-- /example -->',
  ].join('\n');
  const marker = `<!-- example: ${fn} -->`;
  if (!doc.includes(marker)) {
    missing.push(fn);
    continue;
  }
  doc = doc.replace(marker, () => block);
}
writeFileSync(docPath, doc);
process.stdout.write(`examples written for ${jsonRun.size - missing.length} functions\n`);
if (missing.length > 0) process.stdout.write(`no <!-- example: … --> marker for: ${missing.join(', ')}\n`);
