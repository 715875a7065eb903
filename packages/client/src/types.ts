/**
 * The objects of the Conference Management API as Baton returns them (the
 * spec's fields, plus the ones DESIGN.md adds). Dates are the server's text
 * (`Thu Jan 15 17:00:00 UTC 2026`, in the customer's time zone).
 */

/** The spec's ROLE enum. */
export type Role = 'PARTICIPANT' | 'ASSISTANT' | 'PRESENTER' | 'OPERATOR';

/** Conference status, derived from time at the moment of asking. */
export type ConferenceStatus = 'SCHED' | 'ACTIVE' | 'IDLE' | 'CLOSED' | 'CANCEL';

/** Customer account status. */
export type CustomerStatus = 'ACTIVE' | 'SUSPEND' | 'CLOSED' | 'HOLD';

/** The objects updateCustomValue can attach values to. */
export type CustomObjectType = 'conference' | 'person' | 'call' | 'caller' | 'customer';

/** A custom (key, value) pair. */
export interface CustomValue {
  key: string;
  value: string;
}

/** How a caller of a role enters the call. */
export interface RoleFlag {
  role: Role;
  mike: boolean;
  mute: boolean;
  deaf: boolean;
}

/** A tag of the conference scope. */
export interface ConferenceTag {
  ID: number;
  value: string;
}

/** A tag of a call. */
export interface CallTag {
  ID: number;
  value: string;
  conferenceTagId: number | null;
}

/** An inbound access method of a customer. */
export interface InboundAccess {
  ID: number;
  name: string;
  carrierType: string;
  carrierID: string;
}

/** An audio clip (the spec does not define its fields; Baton keeps the list empty). */
export type Audio = Record<string, unknown>;

/** The calling customer. */
export interface Customer {
  ID: number;
  UID: string;
  name: string;
  status: CustomerStatus;
  DID: string;
  /** IANA time zone of DateTime input and output. */
  timeZone: string;
  recording: boolean;
  greenroom: boolean;
  contactEmails: string;
  /** The same list as contactEmails (the name updateCustomer uses). */
  contactEmail: string;
  backgroundMusic: boolean;
  placeCall: boolean;
  reminder: boolean;
  affiliateCode: string;
  preCall: string;
  postCall: string;
  banner: string;
  callerInterface: string;
  regComment: string;
  inboundList: InboundAccess[];
  custom: CustomValue[];
}

/** A registered person with a dial-in PIN. */
export interface Person {
  UID: string;
  conferenceUID: string;
  name: string;
  ANI: string;
  /** Exactly 6 digits. */
  PIN: string;
  /** The number to dial. */
  callInNumber: string;
  role: Role;
  email: string;
  notes: string;
  custom1: string;
  custom2: string;
  tags: ConferenceTag[];
  custom: CustomValue[];
  inboundAccess: number | null;
  swAutoLoginUrl: string | null;
}

/** A reservation of a conference. */
export interface Reservation {
  UID: string;
  conferenceUID: string;
  estimateCaller: number | null;
  startTime: string | null;
  endTime: string | null;
  /** Minutes, rounded up to the quarter hour. */
  duration: number | null;
}

/** A conference, with its persons, reservations and calls as UIDs. */
export interface Conference {
  UID: string;
  name: string;
  scheduledStartTime: string | null;
  scheduledEndTime: string | null;
  /** UID of the customer. */
  customer: string;
  status: ConferenceStatus;
  data: string;
  persons: string[];
  audio: Audio[];
  DID: string;
  recording: boolean;
  greenroom: boolean;
  notes: string;
  activeCallUID: string | null;
  tags: ConferenceTag[];
  setting: RoleFlag[];
  custom: CustomValue[];
  reservations: string[];
  reserved: boolean;
  backgroundMusic: boolean;
  securityToken: string;
  calls: string[];
  reminder: boolean;
  contactEmail: string;
  registerText: string;
  callerInterface: string;
  preCall: string;
  postCall: string;
  banner: string;
  regComment: string;
  /** The self-registration page of the conference. */
  registrationUrl: string;
}

/** getConferenceData: the conference with its customer, persons and reservations in full. */
export interface ConferenceData extends Omit<Conference, 'customer'> {
  customer: Customer;
  person: Person[];
  reservation: Reservation[];
}

/** The answer of a list function (getUpcomingConference …). */
export interface ConferenceList {
  conference: Conference[];
  /** Only when the call sent `limit` or `cursor` and more remain: pass it as `cursor` to read on. */
  nextCursor?: string;
}

/** updateCustomValue: the object's custom values after the change. */
export interface CustomValues {
  objectType: CustomObjectType;
  objectUID: string;
  custom: CustomValue[];
}

/** One session of a conference on the phone. */
export interface Call {
  UID: string;
  name: string;
  actualStartTime: string;
  actualEndTime: string | null;
  status: 'ACTIVE' | 'CLOSED';
  notes: string;
  conferenceUID: string;
  socketXML: number | null;
  callers: string[];
  breakouts: string[];
  data: string;
  server: string;
  serverConferenceUID: string;
  currentTime: string;
  talking: boolean;
  greenroom: boolean;
  tags: CallTag[];
  settings: RoleFlag[];
  backgroundMusic: boolean;
  custom: CustomValue[];
}

/** One leg into a call, with its person's name and email. */
export interface Caller {
  UID: string;
  ANI: string;
  PIN: string;
  startTime: string;
  endTime: string | null;
  role: Role;
  breakout: string | null;
  breakoutTime: string | null;
  mic: boolean;
  mute: boolean;
  deaf: boolean;
  active: boolean;
  tag: string;
  attention: number;
  attentionTime: string | null;
  data: string;
  notes: string;
  custom1: string;
  custom2: string;
  personUID: string | null;
  name: string;
  email: string;
  custom: CustomValue[];
}

/** getCallData: a call and its callers. */
export interface CallData {
  call: Call;
  caller: Caller[];
}

/** Every event type of the event log (docs/webhooks.md). */
export type EventType =
  | 'person.registered'
  | 'person.updated'
  | 'person.removed'
  | 'conference.created'
  | 'conference.updated'
  | 'conference.canceled'
  | 'reservation.added'
  | 'reservation.updated'
  | 'reservation.removed'
  | 'call.started'
  | 'call.ended'
  | 'caller.joined'
  | 'caller.left'
  | 'custom_value.updated';

/** One change from the event log (getEvents). */
export interface Event {
  /** Per customer: 1, 2, 3 … in commit order. */
  sequence: number;
  /** Unique; the webhook-id of its deliveries. */
  id: string;
  type: string;
  /** ISO 8601, UTC. */
  time: string;
  /** The changed object as the API presented it, under its type's name (`person`, `conference`, …). */
  data: Record<string, unknown>;
}

/** getEvents: a page of the event log. */
export interface EventList {
  event: Event[];
  /** Only while more events are stored: pass it as `cursor` to read on. */
  nextCursor?: string;
}

/** A webhook endpoint and its delivery state. */
export interface Webhook {
  UID: string;
  url: string;
  /** Empty for every type. */
  eventTypes: string[];
  description: string;
  status: 'enabled' | 'disabled';
  /** `whsec_…`: only in addWebhook's answer, null everywhere else. */
  secret: string | null;
  /** Every event up to this sequence has been delivered. */
  deliveredSequence: number;
  failedAttempts: number;
  failingSince: string | null;
  nextAttemptTime: string | null;
  lastError: string;
  createdTime: string;
  disabledTime: string | null;
}

/** getWebhooks: every endpoint of the customer. */
export interface WebhookList {
  webhook: Webhook[];
}

/** Every object type by name (the names the OpenAPI document uses). */
export interface ObjectTypes {
  Customer: Customer;
  Conference: Conference;
  ConferenceData: ConferenceData;
  ConferenceList: ConferenceList;
  Person: Person;
  Reservation: Reservation;
  CustomValues: CustomValues;
  Call: Call;
  CallData: CallData;
  Caller: Caller;
  Event: Event;
  EventList: EventList;
  Webhook: Webhook;
  WebhookList: WebhookList;
  CustomValue: CustomValue;
  RoleFlag: RoleFlag;
  ConferenceTag: ConferenceTag;
  CallTag: CallTag;
  InboundAccess: InboundAccess;
}

/** The JSON (and XML) envelope of every answer. */
export interface Envelope<V = unknown> {
  message: string;
  value: V | null;
  code: number;
}
