/**
 * Runtime shapes of the result objects: what XML cannot say by itself (which
 * elements are numbers, booleans, null, or lists). The XML reader uses them so
 * that an XML answer reads exactly as the JSON one: lists stay arrays with one
 * item or none, `<recording>true</recording>` is a boolean, an empty element of
 * a nullable field is null. The types below make the compiler check each shape
 * against its interface in types.ts.
 */
import type { ObjectTypes } from './types.js';

/** A field's shape. */
export type Shape =
  | 'string'
  | 'string?'
  /** Text that is left out of the object when the element is absent (JSON leaves the field out too). */
  | 'string, or absent'
  | 'integer'
  | 'integer?'
  | 'boolean'
  /** Anything: read generically (text, or an object of its children). */
  | 'any'
  /** A spec array field: a wrapper element, one `<item>` child per entry. */
  | { readonly list: Shape; readonly item: string }
  /** A child collection: the element repeated directly in its parent, absent when empty. */
  | { readonly repeated: Shape }
  | { readonly object: keyof ObjectTypes }
  /** An open object (a Record): the children named here read by their shape, any other generically; none is filled in. */
  | { readonly fields: Readonly<Record<string, Shape>> };

type ObjectRef<T> = {
  [K in keyof ObjectTypes]: [ObjectTypes[K]] extends [T]
    ? [T] extends [ObjectTypes[K]]
      ? { object: K }
      : never
    : never;
}[keyof ObjectTypes];

/** The shape a field of type T must have. */
export type ShapeFor<T> = [T] extends [string]
  ? 'string'
  : [T] extends [string | null]
    ? 'string?'
    : [T] extends [string | undefined]
      ? 'string, or absent'
      : [T] extends [number]
        ? 'integer'
        : [T] extends [number | null]
          ? 'integer?'
          : [T] extends [boolean]
            ? 'boolean'
            : T extends readonly (infer U)[]
              ? { list: ShapeFor<U>; item: string } | { repeated: ShapeFor<U> }
              : string extends keyof T
                ? 'any' | { readonly fields: Readonly<Record<string, Shape>> }
                : ObjectRef<T>;

/** The shape of an object type: one entry per field, no more, no fewer. */
export type ObjectShape<T> = { [K in keyof T]-?: ShapeFor<T[K]> };

const customValues = { list: { object: 'CustomValue' }, item: 'customValue' } as const;
const conferenceTags = { list: { object: 'ConferenceTag' }, item: 'conferenceTag' } as const;
const uids = { list: 'string', item: 'UID' } as const;

const conference = {
  UID: 'string',
  name: 'string',
  scheduledStartTime: 'string?',
  scheduledEndTime: 'string?',
  customer: 'string',
  status: 'string',
  data: 'string',
  persons: uids,
  audio: { list: 'any', item: 'audio' },
  DID: 'string',
  recording: 'boolean',
  greenroom: 'boolean',
  notes: 'string',
  activeCallUID: 'string?',
  tags: conferenceTags,
  setting: { list: { object: 'RoleFlag' }, item: 'roleFlag' },
  custom: customValues,
  reservations: uids,
  reserved: 'boolean',
  backgroundMusic: 'boolean',
  securityToken: 'string',
  calls: uids,
  reminder: 'boolean',
  contactEmail: 'string',
  registerText: 'string',
  callerInterface: 'string',
  preCall: 'string',
  postCall: 'string',
  banner: 'string',
  regComment: 'string',
  registrationUrl: 'string',
} as const satisfies ObjectShape<ObjectTypes['Conference']>;

/**
 * What an event's `data` may hold (src/domain/events.ts): the changed object under its type's name, a
 * person event's `source`, a custom value event's fields. Each event carries some of them.
 */
const eventData = {
  person: { object: 'Person' },
  source: 'string',
  conference: { object: 'Conference' },
  reservation: { object: 'Reservation' },
  call: { object: 'Call' },
  caller: { object: 'Caller' },
  objectType: 'string',
  objectUID: 'string',
  key: 'string',
  value: 'string',
  custom: customValues,
} as const;

/** Every object's shape, by type name. */
export const objectShapes: { readonly [K in keyof ObjectTypes]: ObjectShape<ObjectTypes[K]> } = {
  CustomValue: { key: 'string', value: 'string' },
  RoleFlag: { role: 'string', mike: 'boolean', mute: 'boolean', deaf: 'boolean' },
  ConferenceTag: { ID: 'integer', value: 'string' },
  CallTag: { ID: 'integer', value: 'string', conferenceTagId: 'integer?' },
  InboundAccess: { ID: 'integer', name: 'string', carrierType: 'string', carrierID: 'string' },
  Customer: {
    ID: 'integer',
    UID: 'string',
    name: 'string',
    status: 'string',
    DID: 'string',
    timeZone: 'string',
    recording: 'boolean',
    greenroom: 'boolean',
    contactEmails: 'string',
    contactEmail: 'string',
    backgroundMusic: 'boolean',
    placeCall: 'boolean',
    reminder: 'boolean',
    affiliateCode: 'string',
    preCall: 'string',
    postCall: 'string',
    banner: 'string',
    callerInterface: 'string',
    regComment: 'string',
    inboundList: { list: { object: 'InboundAccess' }, item: 'inboundAccess' },
    custom: customValues,
  },
  Person: {
    UID: 'string',
    conferenceUID: 'string',
    name: 'string',
    ANI: 'string',
    PIN: 'string',
    callInNumber: 'string',
    role: 'string',
    email: 'string',
    notes: 'string',
    custom1: 'string',
    custom2: 'string',
    tags: conferenceTags,
    custom: customValues,
    inboundAccess: 'integer?',
    swAutoLoginUrl: 'string?',
  },
  Reservation: {
    UID: 'string',
    conferenceUID: 'string',
    estimateCaller: 'integer?',
    startTime: 'string?',
    endTime: 'string?',
    duration: 'integer?',
  },
  Conference: conference,
  ConferenceData: {
    ...conference,
    customer: { object: 'Customer' },
    person: { repeated: { object: 'Person' } },
    reservation: { repeated: { object: 'Reservation' } },
  },
  ConferenceList: { conference: { repeated: { object: 'Conference' } }, nextCursor: 'string, or absent' },
  CustomValues: { objectType: 'string', objectUID: 'string', custom: customValues },
  Call: {
    UID: 'string',
    name: 'string',
    actualStartTime: 'string',
    actualEndTime: 'string?',
    status: 'string',
    notes: 'string',
    conferenceUID: 'string',
    socketXML: 'integer?',
    callers: uids,
    breakouts: uids,
    data: 'string',
    server: 'string',
    serverConferenceUID: 'string',
    currentTime: 'string',
    talking: 'boolean',
    greenroom: 'boolean',
    tags: { list: { object: 'CallTag' }, item: 'callTag' },
    settings: { list: { object: 'RoleFlag' }, item: 'roleFlag' },
    backgroundMusic: 'boolean',
    custom: customValues,
  },
  Caller: {
    UID: 'string',
    ANI: 'string',
    PIN: 'string',
    startTime: 'string',
    endTime: 'string?',
    role: 'string',
    breakout: 'string?',
    breakoutTime: 'string?',
    mic: 'boolean',
    mute: 'boolean',
    deaf: 'boolean',
    active: 'boolean',
    tag: 'string',
    attention: 'integer',
    attentionTime: 'string?',
    data: 'string',
    notes: 'string',
    custom1: 'string',
    custom2: 'string',
    personUID: 'string?',
    name: 'string',
    email: 'string',
    custom: customValues,
  },
  CallData: { call: { object: 'Call' }, caller: { repeated: { object: 'Caller' } } },
  Event: { sequence: 'integer', id: 'string', type: 'string', time: 'string', data: { fields: eventData } },
  EventList: { event: { repeated: { object: 'Event' } }, nextCursor: 'string, or absent' },
  Webhook: {
    UID: 'string',
    url: 'string',
    eventTypes: { list: 'string', item: 'type' },
    description: 'string',
    status: 'string',
    secret: 'string?',
    deliveredSequence: 'integer',
    failedAttempts: 'integer',
    failingSince: 'string?',
    nextAttemptTime: 'string?',
    lastError: 'string',
    createdTime: 'string',
    disabledTime: 'string?',
  },
  WebhookList: { webhook: { repeated: { object: 'Webhook' } } },
};
