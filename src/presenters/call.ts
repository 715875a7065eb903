/** The Call and Caller objects (spec), for getCall and getCallData. */
import type { CallDataView, CallView } from '../domain/calls.js';
import { parseRoleFlags } from '../domain/role-flags.js';
import { formatDateTime, formatOptionalDateTime } from '../domain/time.js';
import type { CallerRow } from '../store/call.repository.js';
import type { CustomValue } from '../store/custom-value.repository.js';
import { repeated, type TreeObject } from '../protocol/tree.js';
import { bool, emptyList, presentCustomValues, presentRoleFlags, presentUids } from './common.js';

export interface CallPresentation {
  /** The customer's time zone: every DateTime is shown in it. */
  timeZone: string;
  /** Now, for `currentTime` ("Current time on the server, used to calculate timer offset"). */
  now: number;
}

/** getCall: the Call object, with callers and breakouts as UIDs. */
export function presentCall(view: CallView, how: CallPresentation): TreeObject {
  const { row } = view;
  return {
    UID: row.uid,
    name: row.name,
    actualStartTime: formatDateTime(row.started_at, how.timeZone),
    actualEndTime: formatOptionalDateTime(row.ended_at, how.timeZone),
    status: row.status,
    notes: row.notes,
    conferenceUID: row.conference_uid,
    // "Port number of XML based events for this conference": Baton has no event socket.
    socketXML: null,
    callers: presentUids(view.callerUids),
    breakouts: presentUids(view.breakoutUids),
    data: row.data,
    server: row.server,
    serverConferenceUID: row.server_conference_uid,
    currentTime: formatDateTime(how.now, how.timeZone),
    talking: bool(row.talking),
    greenroom: bool(row.greenroom),
    tags: emptyList('callTag'),
    settings: presentRoleFlags(parseRoleFlags(row.settings)),
    backgroundMusic: bool(row.background_music),
    custom: presentCustomValues(view.custom),
  };
}

/** A Caller (spec), plus the person's `name` and `email` (DESIGN.md) and its custom values. */
export function presentCaller(row: CallerRow, custom: readonly CustomValue[], timeZone: string): TreeObject {
  return {
    UID: row.uid,
    ANI: row.ani,
    PIN: row.pin,
    startTime: formatDateTime(row.started_at, timeZone),
    endTime: formatOptionalDateTime(row.ended_at, timeZone),
    role: row.role,
    breakout: row.breakout,
    breakoutTime: formatOptionalDateTime(row.breakout_at, timeZone),
    mic: bool(row.mic),
    mute: bool(row.mute),
    deaf: bool(row.deaf),
    active: bool(row.active),
    tag: row.tag,
    attention: row.attention,
    attentionTime: formatOptionalDateTime(row.attention_at, timeZone),
    data: row.data,
    notes: row.notes,
    custom1: row.custom1,
    custom2: row.custom2,
    personUID: row.person_uid,
    name: row.name,
    email: row.email,
    custom: presentCustomValues(custom),
  };
}

/** getCallData: `{"call":{…},"caller":[…]}`; in XML one `<caller>` per caller beside `<call>` (DESIGN.md). */
export function presentCallData(view: CallDataView, how: CallPresentation): TreeObject {
  return {
    call: presentCall(view, how),
    caller: repeated(view.callers.map((c) => presentCaller(c, view.callerCustom.get(c.uid) ?? [], how.timeZone))),
  };
}
