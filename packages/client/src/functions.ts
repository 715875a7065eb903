/**
 * Every function of the Conference Management API: its kind (information →
 * GET, command → POST), the object its value holds, and its typed parameters.
 */
import type {
  Call,
  CallData,
  Conference,
  ConferenceData,
  ConferenceList,
  CustomObjectType,
  Customer,
  CustomValues,
  EventList,
  EventType,
  ObjectTypes,
  Person,
  Reservation,
  Role,
  Webhook,
  WebhookList,
} from './types.js';

/**
 * A DateTime parameter: `yyyy.MM.dd HH:mm:ss` in the customer's time zone, ISO 8601 with an
 * offset, or a Date (sent as ISO 8601 in UTC).
 */
export type DateTimeInput = string | Date;

/** A value to assign (updateConference, updateCustomer, updatePerson): sent as text. */
export type FieldValue = string | number | boolean;

/** Parameters every create function shares; each overrides the customer's default. */
export interface ConferenceOverrides {
  name?: string;
  contactEmail?: string;
  greenroom?: boolean;
  recording?: boolean;
  backgroundMusic?: boolean;
}

/** One reservation of createConferenceReserved. */
export interface ReservationItem {
  startDate: DateTimeInput;
  /** Minutes; the server rounds up to the next quarter hour. */
  duration: number;
  estimatedCallers?: number;
}

export type NoParams = Record<string, never>;
/**
 * A list function's page request. Without either field a list answers whole
 * (at most 1,000, the rest left off); with one, each answer is a page that
 * carries `nextCursor` while more remain.
 */
export interface ListPageParams {
  /** Most conferences in the answer, 1–1000. */
  limit?: number;
  /** The previous page's `nextCursor`. */
  cursor?: string;
}
export interface ConferenceUidParams {
  conferenceUID: string;
}
export interface ReservationUidParams {
  reservationUID: string;
}
export interface CallParams {
  conferenceUID: string;
  callUID: string;
}
export interface UpdateCustomerParams {
  /** contactEmail, greenroom, recording, affiliateCode, reminder, backgroundMusic, preCall, postCall, banner, callerInterface, regComment, timeZone. */
  field: string;
  value: FieldValue;
}
export interface CreateConferenceReservationlessParams extends ConferenceOverrides {
  estimatedCallers?: number;
}
export interface CreateConferenceReservedParams extends ConferenceOverrides {
  /** Sent as reservationCount and the numbered estimatedCallers<#>, startDate<#>, duration<#> (from 1). */
  reservations: ReservationItem[];
}
export interface AddConferenceReservationParams {
  conference: string;
  startDate: DateTimeInput;
  duration: number;
  estimatedCallers?: number;
}
export interface AddPersonParams {
  conference: string;
  role: Role;
  name?: string;
  email?: string;
  notes?: string;
  custom1?: string;
  custom2?: string;
}
export interface UpdatePersonParams {
  person: string;
  /** name, email, notes, custom1, custom2 or role. */
  field: string;
  value: FieldValue;
}
export interface RemovePersonParams {
  conference: string;
  person: string;
}
export interface UpdateConferenceReservationParams {
  reservationUID: string;
  startDate?: DateTimeInput;
  estimatedCallers?: number;
  duration?: number;
}
export interface ConferenceParams {
  conference: string;
}
export interface UpdateConferenceParams {
  conference: string;
  /** contactEmail, registerText, notes, recording, greenroom, reminder, backgroundMusic, callerInterface, preCall, postCall, banner, regComment. */
  field: string;
  value: FieldValue;
}
export interface UpdateCustomValueParams {
  objectType: CustomObjectType;
  objectUID: string;
  customKey: string;
  /** An empty value removes the key. */
  customValue: string;
}

/** getEvents: `after` a sequence number (default 0), or the `cursor` of an earlier answer; at most `limit` (default 100, up to 1000). */
export interface GetEventsParams {
  after?: number;
  limit?: number;
  cursor?: string;
}
export interface AddWebhookParams {
  url: string;
  /** The types to deliver; none (or empty) for every type. */
  eventTypes?: EventType[] | string;
  description?: string;
}
export interface UpdateWebhookParams {
  webhook: string;
  url?: string;
  /** An empty list means every type. */
  eventTypes?: EventType[] | string;
  description?: string;
  /** true resumes a disabled endpoint with the first event it missed; false pauses it. */
  enabled?: boolean;
  /** true: a new secret, in this answer only; the previous one also signs deliveries for 24 hours. */
  rotateSecret?: boolean;
}
export interface WebhookParams {
  webhook: string;
}

/** Parameters and result of every function, by name. */
export interface BatonFunctions {
  getCustomer: { params: NoParams; result: Customer };
  getActiveConference: { params: ListPageParams; result: ConferenceList };
  getUpcomingConference: { params: ListPageParams; result: ConferenceList };
  getPossibleConference: { params: ListPageParams; result: ConferenceList };
  getExpiredConference: { params: ListPageParams; result: ConferenceList };
  getCanceledConference: { params: ListPageParams; result: ConferenceList };
  getConference: { params: ConferenceUidParams; result: Conference };
  getConferenceData: { params: ConferenceUidParams; result: ConferenceData };
  getConferenceReservation: { params: ReservationUidParams; result: Reservation };
  getCall: { params: CallParams; result: Call };
  getCallData: { params: CallParams; result: CallData };
  getEvents: { params: GetEventsParams; result: EventList };
  getWebhooks: { params: NoParams; result: WebhookList };
  updateCustomer: { params: UpdateCustomerParams; result: Customer };
  createConferenceReservationless: { params: CreateConferenceReservationlessParams; result: Conference };
  createConferenceReserved: { params: CreateConferenceReservedParams; result: Conference };
  addConferenceReservation: { params: AddConferenceReservationParams; result: Reservation };
  addPerson: { params: AddPersonParams; result: Person };
  updatePerson: { params: UpdatePersonParams; result: Person };
  removePerson: { params: RemovePersonParams; result: Person };
  updateConferenceReservation: { params: UpdateConferenceReservationParams; result: Reservation };
  removeConferenceReservation: { params: ReservationUidParams; result: Reservation };
  cancelConference: { params: ConferenceParams; result: Conference };
  updateConference: { params: UpdateConferenceParams; result: Conference };
  updateCustomValue: { params: UpdateCustomValueParams; result: CustomValues };
  addWebhook: { params: AddWebhookParams; result: Webhook };
  updateWebhook: { params: UpdateWebhookParams; result: Webhook };
  removeWebhook: { params: WebhookParams; result: Webhook };
}

export type FunctionName = keyof BatonFunctions;
export type ParamsOf<N extends FunctionName> = BatonFunctions[N]['params'];
export type ResultOf<N extends FunctionName> = BatonFunctions[N]['result'];

/** What the client needs at run time about a function. */
export interface FunctionInfo {
  readonly kind: 'information' | 'command';
  /** The object type of its value (a key of ObjectTypes). */
  readonly result: keyof ObjectTypes;
}

type ResultNameOf<T> = { [K in keyof ObjectTypes]: ObjectTypes[K] extends T ? K : never }[keyof ObjectTypes];

/** Every function's kind and result type; the compiler checks each against BatonFunctions. */
export const functions: { readonly [N in FunctionName]: FunctionInfo & { result: ResultNameOf<ResultOf<N>> } } = {
  getCustomer: { kind: 'information', result: 'Customer' },
  getActiveConference: { kind: 'information', result: 'ConferenceList' },
  getUpcomingConference: { kind: 'information', result: 'ConferenceList' },
  getPossibleConference: { kind: 'information', result: 'ConferenceList' },
  getExpiredConference: { kind: 'information', result: 'ConferenceList' },
  getCanceledConference: { kind: 'information', result: 'ConferenceList' },
  getConference: { kind: 'information', result: 'Conference' },
  getConferenceData: { kind: 'information', result: 'ConferenceData' },
  getConferenceReservation: { kind: 'information', result: 'Reservation' },
  getCall: { kind: 'information', result: 'Call' },
  getCallData: { kind: 'information', result: 'CallData' },
  getEvents: { kind: 'information', result: 'EventList' },
  getWebhooks: { kind: 'information', result: 'WebhookList' },
  updateCustomer: { kind: 'command', result: 'Customer' },
  createConferenceReservationless: { kind: 'command', result: 'Conference' },
  createConferenceReserved: { kind: 'command', result: 'Conference' },
  addConferenceReservation: { kind: 'command', result: 'Reservation' },
  addPerson: { kind: 'command', result: 'Person' },
  updatePerson: { kind: 'command', result: 'Person' },
  removePerson: { kind: 'command', result: 'Person' },
  updateConferenceReservation: { kind: 'command', result: 'Reservation' },
  removeConferenceReservation: { kind: 'command', result: 'Reservation' },
  cancelConference: { kind: 'command', result: 'Conference' },
  updateConference: { kind: 'command', result: 'Conference' },
  updateCustomValue: { kind: 'command', result: 'CustomValues' },
  addWebhook: { kind: 'command', result: 'Webhook' },
  updateWebhook: { kind: 'command', result: 'Webhook' },
  removeWebhook: { kind: 'command', result: 'Webhook' },
};

/** Every function name, in the spec's order. */
export const functionNames = Object.keys(functions) as FunctionName[];

/** Turns typed parameters into the text fields the API reads. */
export function encodeParams(name: FunctionName, params: object): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (value instanceof Date) out[key] = value.toISOString();
    else out[key] = String(value);
  };
  for (const [key, value] of Object.entries(params)) {
    if (name === 'createConferenceReserved' && key === 'reservations' && Array.isArray(value)) {
      const items = value as ReservationItem[];
      put('reservationCount', items.length);
      items.forEach((item, index) => {
        put(`startDate${index + 1}`, item.startDate);
        put(`duration${index + 1}`, item.duration);
        put(`estimatedCallers${index + 1}`, item.estimatedCallers);
      });
    } else {
      put(key, value);
    }
  }
  return out;
}
