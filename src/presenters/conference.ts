/** The Conference object (spec), plus every field updateConference can set (DESIGN.md). */
import type { ConferenceDataView, ConferenceView } from '../domain/conferences.js';
import { parseRoleFlags } from '../domain/role-flags.js';
import { formatOptionalDateTime } from '../domain/time.js';
import type { CustomValue } from '../store/custom-value.repository.js';
import type { CustomerRow } from '../store/customer.repository.js';
import { repeated, type TreeObject } from '../protocol/tree.js';
import { bool, emptyList, presentCustomValues, presentRoleFlags, presentUids } from './common.js';
import { presentCustomer } from './customer.js';
import { presentPerson } from './person.js';
import { presentReservation } from './reservation.js';

export interface ConferencePresentation {
  /** The customer's time zone: every DateTime is shown in it. */
  timeZone: string;
  /** PUBLIC_URL, for the self-registration link. */
  publicUrl: string;
}

/** The registration page of a conference (the original service's path). */
export function registrationUrl(publicUrl: string, conferenceUid: string): string {
  return `${publicUrl}/conference/register/${conferenceUid}`;
}

/** getConference and every function that returns a conference. */
export function presentConference(view: ConferenceView, how: ConferencePresentation): TreeObject {
  const { row, status } = view;
  // "if conference is active only active call UIDs are listed. For conferences
  // that are not active all call UIDs are listed." (spec)
  const calls = status.status === 'ACTIVE' && row.active_call_uid ? [row.active_call_uid] : view.callUids;
  return {
    UID: row.uid,
    name: row.name,
    scheduledStartTime: formatOptionalDateTime(status.scheduledStart, how.timeZone),
    scheduledEndTime: formatOptionalDateTime(status.scheduledEnd, how.timeZone),
    customer: row.customer_uid,
    status: status.status,
    data: row.data,
    persons: presentUids(view.personUids),
    audio: emptyList('audio'),
    DID: row.did,
    recording: bool(row.recording),
    greenroom: bool(row.greenroom),
    notes: row.notes,
    activeCallUID: row.active_call_uid,
    tags: emptyList('conferenceTag'),
    setting: presentRoleFlags(parseRoleFlags(row.settings)),
    custom: presentCustomValues(view.custom),
    reservations: presentUids(view.reservations.map((r) => r.uid)),
    reserved: bool(row.reserved),
    backgroundMusic: bool(row.background_music),
    securityToken: row.security_token,
    calls: presentUids(calls),
    reminder: bool(row.reminder),
    contactEmail: row.contact_email,
    registerText: row.register_text,
    callerInterface: row.caller_interface,
    preCall: row.pre_call,
    postCall: row.post_call,
    banner: row.banner,
    regComment: row.reg_comment,
    registrationUrl: registrationUrl(how.publicUrl, row.uid),
  };
}

/**
 * getConferenceData: the conference plus `person` (full Person objects),
 * `reservation` and `customer` (the object, in place of its UID) — DESIGN.md.
 */
export function presentConferenceData(
  view: ConferenceDataView,
  customer: CustomerRow,
  customerCustom: readonly CustomValue[],
  how: ConferencePresentation,
): TreeObject {
  return {
    ...presentConference(view, how),
    customer: presentCustomer(customer, customerCustom),
    person: repeated(view.persons.map((p) => presentPerson(p, view.row.did, view.personCustom.get(p.uid) ?? []))),
    reservation: repeated(view.reservations.map((r) => presentReservation(r, how.timeZone))),
  };
}

/** A list function's answer: `{"conference":[…]}`, XML one `<conference>` per item. */
export function presentConferenceList(items: readonly TreeObject[], nextCursor?: string): TreeObject {
  // nextCursor only on a page with more after it, so a whole list reads as it always did.
  return nextCursor === undefined ? { conference: repeated(items) } : { conference: repeated(items), nextCursor };
}
