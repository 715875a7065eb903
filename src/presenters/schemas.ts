/**
 * The result objects as schemas: what every presenter returns, field by field.
 * They feed the OpenAPI document (components/schemas) and, in the tests, check
 * every answer of every function strictly, so a presenter cannot drift from
 * what the document promises. An ApiFunction's `result` names one of these.
 */
import { z } from 'zod';
import { roles } from '../protocol/params.js';

/** The spec's DateTime on output: `EEE MMM dd HH:mm:ss zzz yyyy` in the customer's zone (DESIGN.md). */
const dateTime = () =>
  z.string().meta({
    description: 'EEE MMM dd HH:mm:ss zzz yyyy, in the customer’s time zone',
    examples: ['Thu Jan 15 17:00:00 UTC 2026'],
  });
const optionalDateTime = () => dateTime().nullable();
const uidText = () => z.string().meta({ description: 'Unique identifier: 16 characters of [A-Z0-9]' });
const uids = () => z.array(uidText());
const count = () => z.int();

export const Role = z.enum(roles).meta({ id: 'Role', description: 'The spec’s ROLE enum.' });

export const ConferenceStatus = z
  .enum(['SCHED', 'ACTIVE', 'IDLE', 'CLOSED', 'CANCEL'])
  .meta({ id: 'ConferenceStatus', description: 'Derived from time at the moment of asking (DESIGN.md).' });

export const CustomValue = z
  .strictObject({ key: z.string(), value: z.string() })
  .meta({ id: 'CustomValue', description: 'A custom (key, value) pair; XML `<customValue>`.' });

export const RoleFlag = z
  .strictObject({ role: Role, mike: z.boolean(), mute: z.boolean(), deaf: z.boolean() })
  .meta({ id: 'RoleFlag', description: 'How a caller of a role enters the call; XML `<roleFlag>`.' });

export const ConferenceTag = z
  .strictObject({ ID: count(), value: z.string() })
  .meta({ id: 'ConferenceTag', description: 'A tag of the conference scope; XML `<conferenceTag>`.' });

export const CallTag = z
  .strictObject({ ID: count(), value: z.string(), conferenceTagId: count().nullable() })
  .meta({ id: 'CallTag', description: 'A tag of a call; XML `<callTag>`.' });

export const InboundAccess = z
  .strictObject({ ID: count(), name: z.string(), carrierType: z.string(), carrierID: z.string() })
  .meta({ id: 'InboundAccess', description: 'An inbound access method; XML `<inboundAccess>`.' });

export const Audio = z
  .looseObject({})
  .meta({ id: 'Audio', description: 'An audio clip. The spec does not define it; Baton keeps the list empty.' });

export const Customer = z
  .strictObject({
    ID: count(),
    UID: uidText(),
    name: z.string(),
    status: z.enum(['ACTIVE', 'SUSPEND', 'CLOSED', 'HOLD']),
    DID: z.string(),
    timeZone: z.string().meta({ description: 'IANA time zone of DateTime input and output' }),
    recording: z.boolean(),
    greenroom: z.boolean(),
    contactEmails: z.string(),
    contactEmail: z.string().meta({ description: 'Same list as contactEmails (the name updateCustomer uses)' }),
    backgroundMusic: z.boolean(),
    placeCall: z.boolean(),
    reminder: z.boolean(),
    affiliateCode: z.string(),
    preCall: z.string(),
    postCall: z.string(),
    banner: z.string(),
    callerInterface: z.string(),
    regComment: z.string(),
    inboundList: z.array(InboundAccess),
    custom: z.array(CustomValue),
  })
  .meta({ id: 'Customer', description: 'The calling customer (spec), with every field updateCustomer can set.' });

export const Person = z
  .strictObject({
    UID: uidText(),
    conferenceUID: uidText(),
    name: z.string(),
    ANI: z.string(),
    PIN: z.string().regex(/^\d{6}$/),
    callInNumber: z.string().meta({ description: 'The number to dial (the conference’s DID)' }),
    role: Role,
    email: z.string(),
    notes: z.string(),
    custom1: z.string(),
    custom2: z.string(),
    tags: z.array(ConferenceTag),
    custom: z.array(CustomValue),
    inboundAccess: count().nullable(),
    swAutoLoginUrl: z.string().nullable(),
  })
  .meta({ id: 'Person', description: 'A registered person with a dial-in PIN.' });

export const Reservation = z
  .strictObject({
    UID: uidText(),
    conferenceUID: uidText(),
    estimateCaller: count().nullable(),
    startTime: optionalDateTime(),
    endTime: optionalDateTime(),
    duration: count().nullable().meta({ description: 'Minutes, rounded up to the quarter hour' }),
  })
  .meta({ id: 'Reservation', description: 'A reservation of a conference; XML `<reservation>`.' });

const conferenceFields = {
  UID: uidText(),
  name: z.string(),
  scheduledStartTime: optionalDateTime(),
  scheduledEndTime: optionalDateTime(),
  customer: uidText(),
  status: ConferenceStatus,
  data: z.string(),
  persons: uids(),
  audio: z.array(Audio),
  DID: z.string(),
  recording: z.boolean(),
  greenroom: z.boolean(),
  notes: z.string(),
  activeCallUID: uidText().nullable(),
  tags: z.array(ConferenceTag),
  setting: z.array(RoleFlag),
  custom: z.array(CustomValue),
  reservations: uids(),
  reserved: z.boolean(),
  backgroundMusic: z.boolean(),
  securityToken: z.string(),
  calls: uids(),
  reminder: z.boolean(),
  contactEmail: z.string(),
  registerText: z.string(),
  callerInterface: z.string(),
  preCall: z.string(),
  postCall: z.string(),
  banner: z.string(),
  regComment: z.string(),
  registrationUrl: z.string().meta({ description: 'The self-registration page of the conference' }),
};

export const Conference = z
  .strictObject(conferenceFields)
  .meta({ id: 'Conference', description: 'A conference room; persons, reservations and calls as UIDs.' });

export const ConferenceData = z
  .strictObject({
    ...conferenceFields,
    customer: Customer,
    person: z.array(Person).meta({ description: 'Full Person objects; in XML repeated `<person>` elements' }),
    reservation: z
      .array(Reservation)
      .meta({ description: 'Full Reservation objects; in XML repeated `<reservation>` elements' }),
  })
  .meta({ id: 'ConferenceData', description: 'getConferenceData: the conference with its child objects in full.' });

export const ConferenceList = z
  .strictObject({
    conference: z.array(Conference).meta({ description: 'In XML, one `<conference>` element per item' }),
    nextCursor: z.string().optional().meta({
      description: 'Only when the call sent limit or cursor and more conferences remain: pass it as cursor to read on',
    }),
  })
  .meta({ id: 'ConferenceList', description: 'The answer of a list function (getUpcomingConference …).' });

export const CustomValues = z
  .strictObject({
    objectType: z.enum(['conference', 'person', 'call', 'caller', 'customer']),
    objectUID: z.string(),
    custom: z.array(CustomValue),
  })
  .meta({ id: 'CustomValues', description: 'updateCustomValue: the object’s custom values after the change.' });

export const Call = z
  .strictObject({
    UID: uidText(),
    name: z.string(),
    actualStartTime: dateTime(),
    actualEndTime: optionalDateTime(),
    status: z.enum(['ACTIVE', 'CLOSED']),
    notes: z.string(),
    conferenceUID: uidText(),
    socketXML: count().nullable(),
    callers: uids(),
    breakouts: uids(),
    data: z.string(),
    server: z.string(),
    serverConferenceUID: z.string(),
    currentTime: dateTime(),
    talking: z.boolean(),
    greenroom: z.boolean(),
    tags: z.array(CallTag),
    settings: z.array(RoleFlag),
    backgroundMusic: z.boolean(),
    custom: z.array(CustomValue),
  })
  .meta({ id: 'Call', description: 'One session of a conference on the phone.' });

export const Caller = z
  .strictObject({
    UID: uidText(),
    ANI: z.string(),
    PIN: z.string(),
    startTime: dateTime(),
    endTime: optionalDateTime(),
    role: Role,
    breakout: z.string().nullable(),
    breakoutTime: optionalDateTime(),
    mic: z.boolean(),
    mute: z.boolean(),
    deaf: z.boolean(),
    active: z.boolean(),
    tag: z.string(),
    attention: count(),
    attentionTime: optionalDateTime(),
    data: z.string(),
    notes: z.string(),
    custom1: z.string(),
    custom2: z.string(),
    personUID: z.string().nullable(),
    name: z.string(),
    email: z.string(),
    custom: z.array(CustomValue),
  })
  .meta({ id: 'Caller', description: 'One leg into a call; with its person’s name and email (DESIGN.md).' });

export const CallData = z
  .strictObject({
    call: Call,
    caller: z.array(Caller).meta({ description: 'In XML, repeated `<caller>` elements' }),
  })
  .meta({ id: 'CallData', description: 'getCallData: a call and its callers.' });

const isoTime = () =>
  z.string().meta({ description: 'ISO 8601 in UTC, with milliseconds', examples: ['2026-01-15T17:00:00.000Z'] });

export const Event = z
  .strictObject({
    sequence: count().meta({ description: 'Per customer: 1, 2, 3 … in the order the changes committed' }),
    id: z.string().meta({ description: 'Unique; the webhook-id of its deliveries' }),
    type: z.string().meta({ examples: ['person.registered'] }),
    time: isoTime(),
    data: z.record(z.string(), z.unknown()).meta({
      description: 'The changed object as the API presented it, under its type’s name (see docs/webhooks.md)',
    }),
  })
  .meta({ id: 'Event', description: 'One change, from the event log.' });

export const EventList = z
  .strictObject({
    event: z.array(Event).meta({ description: 'In sequence order; in XML, one `<event>` element per item' }),
    nextCursor: z
      .string()
      .optional()
      .meta({ description: 'Only while more events are stored: pass it as cursor to read on' }),
  })
  .meta({ id: 'EventList', description: 'getEvents: a page of the event log.' });

export const Webhook = z
  .strictObject({
    UID: uidText(),
    url: z.string(),
    eventTypes: z.array(z.string()).meta({ description: 'Empty for every type; in XML one `<type>` per item' }),
    description: z.string(),
    status: z.enum(['enabled', 'disabled']),
    secret: z.string().nullable().meta({ description: 'whsec_…: only in addWebhook’s answer; null everywhere else' }),
    deliveredSequence: count().meta({ description: 'Every event up to this sequence has been delivered' }),
    failedAttempts: count(),
    failingSince: isoTime().nullable(),
    nextAttemptTime: isoTime().nullable(),
    lastError: z.string(),
    createdTime: isoTime(),
    disabledTime: isoTime().nullable(),
  })
  .meta({ id: 'Webhook', description: 'A webhook endpoint and its delivery state.' });

export const WebhookList = z
  .strictObject({
    webhook: z.array(Webhook).meta({ description: 'In XML, one `<webhook>` element per item' }),
  })
  .meta({ id: 'WebhookList', description: 'getWebhooks: every endpoint of the customer.' });

/** Every result object by the name an ApiFunction's `result` uses. */
export const resultSchemas = {
  Customer,
  Conference,
  ConferenceData,
  ConferenceList,
  Person,
  Reservation,
  CustomValues,
  Call,
  CallData,
  EventList,
  Webhook,
  WebhookList,
} as const satisfies Record<string, z.ZodType>;

/** Every named schema, for components/schemas (the results and the objects inside them). */
export const namedSchemas = {
  ...resultSchemas,
  Caller,
  Event,
  CustomValue,
  RoleFlag,
  ConferenceTag,
  CallTag,
  InboundAccess,
  Audio,
  Role,
  ConferenceStatus,
} as const;

export type ResultName = keyof typeof resultSchemas;
