/** The Person object (spec), plus conferenceUID and callInNumber (DESIGN.md). */
import type { CustomValue } from '../store/custom-value.repository.js';
import type { PersonRow } from '../store/person.repository.js';
import type { TreeObject } from '../protocol/tree.js';
import { emptyList, presentCustomValues } from './common.js';

export function presentPerson(row: PersonRow, did: string, custom: readonly CustomValue[]): TreeObject {
  return {
    UID: row.uid,
    conferenceUID: row.conference_uid,
    name: row.name,
    ANI: row.ani,
    PIN: row.pin,
    callInNumber: did,
    role: row.role,
    email: row.email,
    notes: row.notes,
    custom1: row.custom1,
    custom2: row.custom2,
    tags: emptyList('conferenceTag'),
    custom: presentCustomValues(custom),
    inboundAccess: null,
    swAutoLoginUrl: null,
  };
}
