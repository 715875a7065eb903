/**
 * One call as the administration site shows it: its callers (live or over),
 * the conference's registrants, and who attended. Unlike getCallData this
 * also reads an active call — the site's live page follows it.
 */
import type { CallContext } from '../context.js';
import { ParameterError } from '../errors.js';
import { findCall, listCallers, listConferenceCalls, type CallerRow, type CallRow } from '../store/call.repository.js';
import { listPersons, type PersonRow } from '../store/person.repository.js';
import { requireConference } from './conferences.js';

export interface CallHistory {
  call: CallRow;
  callers: CallerRow[];
  persons: PersonRow[];
  /** Registrants with no caller record on this call. */
  neverJoined: PersonRow[];
  /** Registrants who joined at least once, as a share of all registrants (0 when there are none). */
  attendancePercent: number;
}

/** The call `callUid` of conference `conferenceUid`, or a -2 when either is not this customer's. */
async function requireCallOf(ctx: CallContext, conferenceUid: string, callUid: string): Promise<CallRow> {
  const conference = await requireConference(ctx, conferenceUid);
  const call = await findCall(ctx.services.store.db, ctx.customer.uid, callUid);
  if (!call || call.conference_uid !== conference.uid) {
    throw new ParameterError(`no call with UID ${callUid} in conference ${conferenceUid}`);
  }
  return call;
}

/** The call `callUid` of conference `conferenceUid` with its callers and the conference's registrants. */
export async function loadCallHistory(ctx: CallContext, conferenceUid: string, callUid: string): Promise<CallHistory> {
  const call = await requireCallOf(ctx, conferenceUid, callUid);
  const { db } = ctx.services.store;
  const [callers, persons] = await Promise.all([
    listCallers(db, ctx.customer.uid, call.uid),
    listPersons(db, ctx.customer.uid, call.conference_uid),
  ]);
  const joined = new Set(callers.map((c) => c.person_uid));
  const neverJoined = persons.filter((p) => !joined.has(p.uid));
  const attended = persons.length - neverJoined.length;
  return {
    call,
    callers,
    persons,
    neverJoined,
    attendancePercent: persons.length === 0 ? 0 : Math.round((attended / persons.length) * 100),
  };
}

/** A caller as the live page tracks it. */
export interface LiveCaller {
  uid: string;
  name: string;
  role: string;
  ani: string;
  startedAt: number;
  endedAt: number | null;
}

/** The callers of a call, for the live page's poll (a -2 for a call not this customer's). */
export async function pollCallers(
  ctx: CallContext,
  conferenceUid: string,
  callUid: string,
): Promise<{ status: string; callers: LiveCaller[] }> {
  const call = await requireCallOf(ctx, conferenceUid, callUid);
  const callers = await listCallers(ctx.services.store.db, ctx.customer.uid, call.uid);
  return {
    status: call.status,
    callers: callers.map((c) => ({
      uid: c.uid,
      name: c.name,
      role: c.role,
      ani: c.ani,
      startedAt: c.started_at,
      endedAt: c.ended_at,
    })),
  };
}

/** The latest 200 calls of a conference, newest first. */
export async function listCallsOf(ctx: CallContext, conferenceUid: string): Promise<CallRow[]> {
  const conference = await requireConference(ctx, conferenceUid);
  return listConferenceCalls(ctx.services.store.db, ctx.customer.uid, conference.uid);
}
