/**
 * `baton simulate`: plays a conference call without a phone line. It reads the
 * conference's persons and PINs through the Conference Management API
 * (registering more with addPerson when there are too few), then drives the
 * telephony bridge over real HTTP — joins, a mute, a leave and rejoin, and the
 * leaves that close the call — spread over `--seconds`, printing a timeline.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { terminalSafe } from './output.js';

export interface SimulateOptions {
  /** Baton's base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** BRIDGE_TOKEN of that server. */
  token: string;
  /** Customer UID and API key, for the _access calls. */
  customer: string;
  key: string;
  conference: string;
  callers: number;
  seconds: number;
}

export interface SimulationIo {
  /** Where timeline lines go (stdout by default). */
  write(line: string): void;
  /** Waits `ms` milliseconds, or less when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  signal: AbortSignal;
}

export interface SimulationResult {
  callUID: string | null;
  callStatus: string | null;
  callerRecords: number;
}

interface Person {
  UID: string;
  name: string;
  role: string;
  PIN: string;
}

type Step =
  | { at: number; kind: 'join'; who: number }
  | { at: number; kind: 'mute'; who: number }
  | { at: number; kind: 'leave'; who: number; rejoins: boolean }
  | { at: number; kind: 'rejoin'; who: number };

/** The plan: who joins, mutes, leaves and rejoins when, in ms from the start, in order. */
export function planSimulation(callers: number, seconds: number): Step[] {
  const span = seconds * 1000;
  const spread = (from: number, to: number, i: number) =>
    Math.round(span * (callers === 1 ? from : from + ((to - from) * i) / (callers - 1)));
  const steps: Step[] = [];
  for (let i = 0; i < callers; i++) steps.push({ at: spread(0, 0.3, i), kind: 'join', who: i });
  const muted = callers - 1;
  const rejoiner = callers > 1 ? 1 : 0;
  steps.push({ at: Math.round(span * 0.4), kind: 'mute', who: muted });
  steps.push({ at: Math.round(span * 0.5), kind: 'leave', who: rejoiner, rejoins: true });
  steps.push({ at: Math.round(span * 0.6), kind: 'rejoin', who: rejoiner });
  for (let i = 0; i < callers; i++) steps.push({ at: spread(0.75, 1, i), kind: 'leave', who: i, rejoins: false });
  // Stable: equal times keep the order above (join before mute before leave).
  return steps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.at - b.s.at || a.i - b.i)
    .map(({ s }) => s);
}

/** A simulated caller's number: +1 555 7xx xxxx. */
function simulatedAni(i: number): string {
  return `+1555${String(7_000_000 + i).padStart(7, '0')}`;
}

async function readJson(response: Response, what: string): Promise<any> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
}

/** Runs the simulation; throws when the server refuses something the plan needs. */
export async function simulate(options: SimulateOptions, io: SimulationIo): Promise<SimulationResult> {
  const base = options.url.replace(/\/+$/, '');
  const write = (line: string) => io.write(line.trimEnd());

  async function access(fn: string, params: Record<string, string>): Promise<any> {
    const body = new URLSearchParams({ customer: options.customer, key: options.key, type: 'json', ...params });
    const answer = await readJson(await fetch(`${base}/_access/${fn}`, { method: 'POST', body }), fn);
    if (answer.code !== 0) throw new Error(`${fn} failed with code ${answer.code}: ${answer.message}`);
    return answer.value;
  }

  async function bridge(path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${base}/bridge/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    const answer = await readJson(response, `bridge ${path}`);
    if (response.status !== 200) throw new Error(`bridge ${path}: HTTP ${response.status}: ${answer.error ?? ''}`);
    return answer;
  }

  const data = await access('getConferenceData', { conferenceUID: options.conference });
  const did: string = data.DID ?? '';
  const persons: Person[] = (data.person as Person[]).slice(0, options.callers);
  write(
    `Conference ${data.UID} "${data.name}" (${data.status}), dial-in ${did || '(no DID)'}: ` +
      `${data.person.length} registered person(s)`,
  );
  const hasPresenter = persons.some((p) => p.role === 'PRESENTER');
  while (persons.length < options.callers) {
    const n = persons.length + 1;
    const role = !hasPresenter && persons.length === 0 ? 'PRESENTER' : 'PARTICIPANT';
    const added = await access('addPerson', { conference: options.conference, role, name: `Simulated caller ${n}` });
    persons.push(added as Person);
    write(`registered ${added.name} (${added.role}) with PIN ${added.PIN}`);
  }

  const steps = planSimulation(options.callers, options.seconds);
  write(`Simulating ${options.callers} caller(s) over ${options.seconds} s:`);
  const live = new Map<number, string>(); // person index → callerUID
  let callUID: string | null = null;
  let callStatus: string | null = null;
  const started = Date.now();
  const stamp = (at: number) => `+${(at / 1000).toFixed(1)}s`.padEnd(8);
  const label = (i: number) => `${persons[i]!.name || persons[i]!.UID} (${persons[i]!.role})`.padEnd(34);

  async function leave(i: number): Promise<string> {
    const callerUID = live.get(i)!;
    live.delete(i);
    const left = await bridge(`/callers/${callerUID}/leave`);
    callStatus = left.callStatus;
    return left.callStatus === 'CLOSED' ? `→ call ${callUID} CLOSED` : `(${live.size} still on the call)`;
  }

  try {
    for (const step of steps) {
      const wait = step.at - (Date.now() - started);
      if (wait > 0) await io.sleep(wait, io.signal);
      if (io.signal.aborted) throw new Error('interrupted');
      const at = stamp(step.at);
      switch (step.kind) {
        case 'join':
        case 'rejoin': {
          const person = persons[step.who]!;
          const admitted = await bridge('/admit', { did, pin: person.PIN, ani: simulatedAni(step.who) });
          if (!admitted.admitted) {
            write(`${at}  ${step.kind.padEnd(7)} ${label(step.who)} refused: ${admitted.reason} (${admitted.message})`);
            throw new Error(`admission refused: ${admitted.reason}`);
          }
          live.set(step.who, admitted.callerUID);
          const newCall = admitted.newCall ? `, started call ${admitted.callUID}` : '';
          callUID = admitted.callUID;
          callStatus = 'ACTIVE';
          write(
            `${at}  ${step.kind.padEnd(7)} ${label(step.who)} PIN ${person.PIN} → caller ${admitted.callerUID}${newCall}`,
          );
          break;
        }
        case 'mute': {
          const callerUID = live.get(step.who);
          if (!callerUID) break;
          await bridge(`/callers/${callerUID}/update`, { mute: true });
          write(`${at}  mute    ${label(step.who)}`);
          break;
        }
        case 'leave': {
          if (!live.has(step.who)) break;
          const outcome = await leave(step.who);
          write(`${at}  leave   ${label(step.who)} ${step.rejoins ? '(will rejoin) ' : ''}${outcome}`);
          break;
        }
      }
    }
  } finally {
    // Interrupted or refused: hang up whoever is still on, so no call is left open.
    for (const i of [...live.keys()]) {
      const outcome = await leave(i);
      write(`${'cleanup'.padEnd(8)}  leave   ${label(i)} ${outcome}`);
    }
  }

  let callerRecords = 0;
  if (callUID !== null && callStatus === 'CLOSED') {
    const report = await access('getCallData', { conferenceUID: options.conference, callUID });
    callerRecords = report.caller.length;
    write(
      `Call ${callUID} ${report.call.status}: ${callerRecords} caller record(s), ` +
        `${report.call.actualStartTime} → ${report.call.actualEndTime}`,
    );
  } else if (callUID !== null) {
    write(`Call ${callUID} is still ACTIVE: other callers are on it`);
  }
  return { callUID, callStatus, callerRecords };
}

function wholeNumber(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Registers `baton simulate`. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('place simulated callers into a conference through the bridge API, printing a timeline')
    .requiredOption('--conference <UID>', 'the conference to call into')
    .option('--callers <n>', 'how many callers (1–100)', wholeNumber(1, 100), 3)
    .option('--seconds <s>', 'time span of the simulation (0–3600)', wholeNumber(0, 3600), 30)
    .option('--url <url>', 'Baton base URL (default BATON_URL or http://127.0.0.1:8080)')
    .option('--token <token>', 'bridge token (default BRIDGE_TOKEN)')
    .option('--customer <UID>', 'customer UID for the API (default BATON_CUSTOMER)')
    .option('--key <key>', 'API key (default BATON_KEY)')
    .action(
      async (opts: {
        conference: string;
        callers: number;
        seconds: number;
        url?: string;
        token?: string;
        customer?: string;
        key?: string;
      }) => {
        const env = process.env;
        const options: SimulateOptions = {
          url: opts.url ?? env.BATON_URL ?? 'http://127.0.0.1:8080',
          token: opts.token ?? env.BRIDGE_TOKEN ?? '',
          customer: opts.customer ?? env.BATON_CUSTOMER ?? '',
          key: opts.key ?? env.BATON_KEY ?? '',
          conference: opts.conference,
          callers: opts.callers,
          seconds: opts.seconds,
        };
        const missing = [
          options.token ? null : '--token (or BRIDGE_TOKEN)',
          options.customer ? null : '--customer (or BATON_CUSTOMER)',
          options.key ? null : '--key (or BATON_KEY)',
        ].filter((m) => m !== null);
        if (missing.length > 0) throw new Error(`simulate needs ${missing.join(', ')}`);
        const interrupt = new AbortController();
        const onSignal = () => interrupt.abort();
        process.once('SIGINT', onSignal);
        try {
          await simulate(options, {
            // The lines quote the conference's and the persons' names: shown, never acted on by the terminal.
            write: (line) => process.stdout.write(`${terminalSafe(line)}\n`),
            sleep: abortableSleep,
            signal: interrupt.signal,
          });
        } finally {
          process.removeListener('SIGINT', onSignal);
        }
      },
    );
}
