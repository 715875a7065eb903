/** The Customer object (spec), plus every field updateCustomer can set. */
import type { CustomValue } from '../store/custom-value.repository.js';
import type { CustomerRow } from '../store/customer.repository.js';
import type { TreeObject } from '../protocol/tree.js';
import { bool, emptyList, presentCustomValues } from './common.js';
import { canonicalTimeZone } from '../domain/time.js';

export function presentCustomer(row: CustomerRow, custom: readonly CustomValue[]): TreeObject {
  return {
    ID: row.id,
    UID: row.uid,
    name: row.name,
    status: row.status,
    DID: row.did,
    // A row stored before names were canonical reads as the name it is used under.
    timeZone: canonicalTimeZone(row.time_zone) ?? row.time_zone,
    recording: bool(row.recording),
    greenroom: bool(row.greenroom),
    contactEmails: row.contact_emails,
    // updateCustomer names this field contactEmail; both names read the same list.
    contactEmail: row.contact_emails,
    backgroundMusic: bool(row.background_music),
    placeCall: bool(row.place_call),
    reminder: bool(row.reminder),
    affiliateCode: row.affiliate_code,
    preCall: row.pre_call,
    postCall: row.post_call,
    banner: row.banner,
    callerInterface: row.caller_interface,
    regComment: row.reg_comment,
    inboundList: emptyList('inboundAccess'),
    custom: presentCustomValues(custom),
  };
}
