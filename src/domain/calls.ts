/**
 * Calls and callers (DESIGN.md "Calls"): the first admitted caller creates the
 * call, with `settings` copied from the conference's RoleFlags; the conference
 * is ACTIVE while `active_call_uid` names it; a rejoin is a new caller record;
 * the call closes when its last caller leaves or the bridge ends it, and the
 * conference's status is derived again. Each change happens in one transaction
 * under the conference's lock, so the call, its callers and the conference
 * never disagree.
 */
import type { CallContext, Services } from '../context.js';
import { ParameterError } from '../errors.js';
import { isUniqueViolation } from '../protocol/error-classes.js';
import {
  countActiveCallers,
  endActiveCallers,
  findActiveCall,
  findCall,
  findCaller,
  insertCall,
  insertCaller,
  listBreakoutUids,
  listCallerUids,
  listCallers,
  recordBreakout,
  updateActiveCaller,
  updateCall,
  type CallerPatch,
  type CallerRow,
  type CallRow,
} from '../store/call.repository.js';
import {
  clearActiveCall,
  lockConference,
  updateConference,
  type ConferenceRow,
} from '../store/conference.repository.js';
import { listCallerCustomValues, listCustomValues, type CustomValue } from '../store/custom-value.repository.js';
import { findPerson, type PersonRow } from '../store/person.repository.js';
import { listReservations } from '../store/reservation.repository.js';
import { inTransaction } from '../store/database.js';
import type { Database } from '../store/schema.js';
import type { Kysely } from 'kysely';
import { requireConference, statusOf } from './conferences.js';
import { callerEvent, callEvent, recordEvents, type DomainEvent } from './events.js';
import { parseRoleFlags, type RoleFlag } from './role-flags.js';
import type { ConferenceStatus } from './status.js';
import { checkName, isBlank, oneLine } from './names.js';

/** Why a caller with a valid PIN may not join now. */
export type JoinRefusal = 'conference-canceled' | 'conference-not-open' | 'conference-closed';

export interface JoinRequest {
  conferenceUid: string;
  personUid: string;
  ani: string;
  pin: string;
  /** The media server's name, kept on a new call. */
  server?: string;
  /** The room's name on the media server; default the conference UID. */
  serverConferenceUid?: string;
}

export type JoinResult =
  | { joined: true; call: CallRow; caller: CallerRow; conference: ConferenceRow; created: boolean }
  | { joined: false; reason: JoinRefusal; status: ConferenceStatus };

/** How many times a join retries after losing the race to create the call. */
const joinAttempts = 3;

/**
 * Puts a person's phone leg into their conference's call, creating the call
 * when none is live. A conference joins when IDLE or ACTIVE; SCHED, CLOSED and
 * CANCEL refuse. Two first callers at the same instant make one call: the
 * conference lock serialises them, and the unique index on the ACTIVE call
 * turns any race that slips past it into a retry that finds the call.
 */
export async function joinCall(ctx: CallContext, request: JoinRequest): Promise<JoinResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await joinOnce(ctx, request);
    } catch (error) {
      if (attempt < joinAttempts && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

async function joinOnce(ctx: CallContext, request: JoinRequest): Promise<JoinResult> {
  const { services, customer } = ctx;
  const now = services.clock.now();
  return inTransaction(services.store.db, async (trx): Promise<JoinResult> => {
    const conference = await lockConference(trx, customer.uid, request.conferenceUid);
    if (!conference) throw new ParameterError(`no conference with UID ${request.conferenceUid}`);
    const reservations = await listReservations(trx, customer.uid, conference.uid);
    const { status } = statusOf(ctx, conference, reservations);
    if (status === 'CANCEL') return { joined: false, reason: 'conference-canceled', status };
    if (status === 'SCHED') return { joined: false, reason: 'conference-not-open', status };
    if (status === 'CLOSED') return { joined: false, reason: 'conference-closed', status };

    const person = await findPerson(trx, customer.uid, request.personUid);
    if (!person || person.conference_uid !== conference.uid) {
      throw new ParameterError(`no person with UID ${request.personUid} in conference ${conference.uid}`);
    }

    let call = conference.active_call_uid ? await findCall(trx, customer.uid, conference.active_call_uid) : undefined;
    if (call?.status !== 'ACTIVE') call = await findActiveCall(trx, customer.uid, conference.uid);
    let created = false;
    if (!call) {
      call = await insertCall(trx, {
        uid: services.random.uid(),
        conference_uid: conference.uid,
        customer_uid: customer.uid,
        name: conference.name,
        status: 'ACTIVE',
        started_at: now,
        ended_at: null,
        server: request.server ?? '',
        server_conference_uid: request.serverConferenceUid ?? conference.uid,
        // "loads from conference when call is created" (spec, Call.settings)
        settings: conference.settings,
        talking: 0,
        greenroom: conference.greenroom,
        background_music: conference.background_music,
      });
      created = true;
    }
    let live = conference;
    if (conference.active_call_uid !== call.uid) {
      live = (await updateConference(trx, customer.uid, conference.uid, { active_call_uid: call.uid })) ?? conference;
    }
    const caller = await insertCaller(trx, newCallerRow(services, call, person, request, now));
    const events: DomainEvent[] = created ? [await callEvent(trx, ctx, 'call.started', call)] : [];
    events.push(callerEvent(ctx, 'caller.joined', caller));
    await recordEvents(trx, services, customer.uid, events);
    return { joined: true, call, caller, conference: live, created };
  });
}

/** The RoleFlag that a role enters the call with; a role missing from the settings enters with a live microphone. */
export function flagsForRole(settings: readonly RoleFlag[], role: string): RoleFlag {
  return (
    settings.find((f) => f.role === role) ?? { role: role as RoleFlag['role'], mike: true, mute: false, deaf: false }
  );
}

function newCallerRow(services: Services, call: CallRow, person: PersonRow, request: JoinRequest, now: number) {
  const flags = flagsForRole(parseRoleFlags(call.settings), person.role);
  const ani = oneLine(request.ani);
  return {
    uid: services.random.uid(),
    call_uid: call.uid,
    conference_uid: call.conference_uid,
    customer_uid: call.customer_uid,
    person_uid: person.uid,
    ani,
    pin: request.pin,
    role: person.role,
    started_at: now,
    ended_at: null,
    breakout: null,
    breakout_at: null,
    mic: flags.mike ? 1 : 0,
    mute: flags.mute ? 1 : 0,
    deaf: flags.deaf ? 1 : 0,
    active: 1,
    // "Tag assigned to caller, defaults to ANI if blank" (spec)
    tag: ani,
    attention: 0,
    attention_at: null,
    data: '',
    // "pre-populated with the person notes" (spec); custom1/custom2 "from the person record"
    notes: person.notes,
    custom1: person.custom1,
    custom2: person.custom2,
    name: person.name,
    email: person.email,
  };
}

/** Closes a call inside the caller's transaction: CLOSED, `actualEndTime`, and the conference is no longer ACTIVE. */
async function closeCall(trx: Kysely<Database>, call: CallRow, at: number): Promise<CallRow> {
  const closed = await updateCall(trx, call.customer_uid, call.uid, { status: 'CLOSED', ended_at: at });
  await clearActiveCall(trx, call.customer_uid, call.conference_uid, call.uid);
  return closed ?? call;
}

export interface LeaveResult {
  caller: CallerRow;
  call: CallRow;
  /** False when the caller had already left (leaving twice is harmless). */
  changed: boolean;
}

/** A caller hangs up. The last one out closes the call. */
export async function leaveCall(ctx: CallContext, callerUid: string): Promise<LeaveResult | undefined> {
  const { services, customer } = ctx;
  const now = services.clock.now();
  return inTransaction(services.store.db, async (trx) => {
    const before = await findCaller(trx, customer.uid, callerUid);
    if (!before) return undefined;
    await lockConference(trx, customer.uid, before.conference_uid);
    const caller = await updateActiveCaller(trx, customer.uid, callerUid, { active: 0, ended_at: now });
    let call = (await findCall(trx, customer.uid, before.call_uid))!;
    if (!caller) return { caller: (await findCaller(trx, customer.uid, callerUid))!, call, changed: false };
    const events = [callerEvent(ctx, 'caller.left', caller)];
    if (call.status === 'ACTIVE' && (await countActiveCallers(trx, customer.uid, call.uid)) === 0) {
      call = await closeCall(trx, call, now);
      events.push(await callEvent(trx, ctx, 'call.ended', call));
    }
    await recordEvents(trx, services, customer.uid, events);
    return { caller, call, changed: true };
  });
}

export interface EndResult {
  call: CallRow;
  /** How many callers were still on the call and were ended with it. */
  endedCallers: number;
  changed: boolean;
}

/** The bridge ends a call: every active caller leaves at this instant and the call closes. */
export async function endCall(ctx: CallContext, callUid: string): Promise<EndResult | undefined> {
  const { services, customer } = ctx;
  const now = services.clock.now();
  return inTransaction(services.store.db, async (trx) => {
    const before = await findCall(trx, customer.uid, callUid);
    if (!before) return undefined;
    await lockConference(trx, customer.uid, before.conference_uid);
    const call = (await findCall(trx, customer.uid, callUid))!;
    if (call.status !== 'ACTIVE') return { call, endedCallers: 0, changed: false };
    const leaving = (await listCallers(trx, customer.uid, call.uid)).filter((c) => c.active);
    const endedCallers = await endActiveCallers(trx, customer.uid, call.uid, now);
    const events: DomainEvent[] = [];
    for (const caller of leaving) {
      const left = await findCaller(trx, customer.uid, caller.uid);
      if (left) events.push(callerEvent(ctx, 'caller.left', left));
    }
    const closed = await closeCall(trx, call, now);
    events.push(await callEvent(trx, ctx, 'call.ended', closed));
    await recordEvents(trx, services, customer.uid, events);
    return { call: closed, endedCallers, changed: true };
  });
}

/** The longest tag a caller may be given. */
export const TAG_LIMIT = 100;

/** What the bridge may change on a live caller. Absent fields stay as they are. */
export interface CallerUpdate {
  mic?: boolean;
  mute?: boolean;
  deaf?: boolean;
  /** A breakout UID to join, or null to leave the breakout. */
  breakout?: string | null;
  /** 0–5: how much the caller wants attention. */
  attention?: number;
  /** Blank resets it to the ANI; otherwise one line of at most TAG_LIMIT characters (else a ParameterError). */
  tag?: string;
}

/** Changes a live caller; undefined when the caller does not exist, `inactive` when it has left. */
export async function updateCaller(
  ctx: CallContext,
  callerUid: string,
  update: CallerUpdate,
): Promise<CallerRow | 'inactive' | undefined> {
  const { services, customer } = ctx;
  // A tag is the caller's name on the conductor's screen: one line, by the rule for every name.
  if (update.tag !== undefined && !isBlank(update.tag)) checkName('tag', update.tag, TAG_LIMIT, false);
  // A tag is the caller's name on the conductor's screen: one line, by the rule for every name.
  if (update.tag !== undefined && !isBlank(update.tag)) checkName('tag', update.tag, TAG_LIMIT, false);
  const now = services.clock.now();
  return inTransaction(services.store.db, async (trx) => {
    const before = await findCaller(trx, customer.uid, callerUid);
    if (!before) return undefined;
    if (!before.active) return 'inactive';
    const patch: CallerPatch = {};
    if (update.mic !== undefined) patch.mic = update.mic ? 1 : 0;
    if (update.mute !== undefined) patch.mute = update.mute ? 1 : 0;
    if (update.deaf !== undefined) patch.deaf = update.deaf ? 1 : 0;
    if (update.breakout !== undefined && update.breakout !== before.breakout) {
      // "Time this caller joined/left breakout" (spec, Caller.breakoutTime)
      patch.breakout = update.breakout;
      patch.breakout_at = now;
      if (update.breakout !== null) {
        await recordBreakout(trx, {
          call_uid: before.call_uid,
          breakout_uid: update.breakout,
          customer_uid: customer.uid,
          first_used_at: now,
        });
      }
    }
    if (update.attention !== undefined && update.attention !== before.attention) {
      patch.attention = update.attention;
      patch.attention_at = now;
    }
    if (update.tag !== undefined) patch.tag = isBlank(update.tag) ? before.ani : update.tag;
    if (Object.keys(patch).length === 0) return before;
    return (await updateActiveCaller(trx, customer.uid, callerUid, patch)) ?? 'inactive';
  });
}

/** A closed call with the UIDs of its children: what getCall shows. */
export interface CallView {
  row: CallRow;
  callerUids: string[];
  breakoutUids: string[];
  custom: CustomValue[];
}

/** getCallData adds the full callers with their custom values. */
export interface CallDataView extends CallView {
  callers: CallerRow[];
  callerCustom: Map<string, CustomValue[]>;
}

/**
 * The call `callUid` of conference `conferenceUid`, which must be over: "Will
 * not retrieve data for active call. Use the conductor API for live calls." (spec)
 */
async function requireClosedCall(ctx: CallContext, conferenceUid: string, callUid: string): Promise<CallRow> {
  const conference = await requireConference(ctx, conferenceUid);
  const call = await findCall(ctx.services.store.db, ctx.customer.uid, callUid);
  if (!call || call.conference_uid !== conference.uid) {
    throw new ParameterError(`no call with UID ${callUid} in conference ${conferenceUid}`);
  }
  if (call.status === 'ACTIVE') {
    throw new ParameterError(
      `call ${callUid} is active; a live call is not reported here — use the Conductor (live) API while it runs`,
    );
  }
  return call;
}

/** getCall: a closed call and the UIDs of its callers and breakouts. */
export async function loadCall(ctx: CallContext, conferenceUid: string, callUid: string): Promise<CallView> {
  const row = await requireClosedCall(ctx, conferenceUid, callUid);
  const { db } = ctx.services.store;
  const customerUid = ctx.customer.uid;
  const [callerUids, breakoutUids, custom] = await Promise.all([
    listCallerUids(db, customerUid, row.uid),
    listBreakoutUids(db, customerUid, row.uid),
    listCustomValues(db, customerUid, 'call', row.uid),
  ]);
  return { row, callerUids, breakoutUids, custom };
}

/** getCallData: a closed call with its callers, in a fixed number of queries. */
export async function loadCallData(ctx: CallContext, conferenceUid: string, callUid: string): Promise<CallDataView> {
  const row = await requireClosedCall(ctx, conferenceUid, callUid);
  const { db } = ctx.services.store;
  const customerUid = ctx.customer.uid;
  const [callers, callerCustom, breakoutUids, custom] = await Promise.all([
    listCallers(db, customerUid, row.uid),
    listCallerCustomValues(db, customerUid, row.uid),
    listBreakoutUids(db, customerUid, row.uid),
    listCustomValues(db, customerUid, 'call', row.uid),
  ]);
  return { row, callerUids: callers.map((c) => c.uid), callers, callerCustom, breakoutUids, custom };
}
