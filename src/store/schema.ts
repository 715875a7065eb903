/**
 * The Kysely Database type: one interface per table. Instants are integer
 * milliseconds since the epoch (bigint on PostgreSQL, parsed back to number);
 * booleans are integers 0/1 on both dialects so rows read the same everywhere.
 */
import type { ColumnType, Generated } from 'kysely';

/** 0 or 1. */
export type Flag = number;
/** Text with a default of '' in the database: optional on insert. */
export type Text = ColumnType<string, string | undefined, string>;

export interface CustomerTable {
  id: Generated<number>;
  uid: string;
  name: string;
  status: string;
  did: string;
  time_zone: string;
  recording: Flag;
  greenroom: Flag;
  background_music: Flag;
  reminder: Flag;
  place_call: Flag;
  contact_emails: Text;
  affiliate_code: Text;
  pre_call: Text;
  post_call: Text;
  banner: Text;
  caller_interface: Text;
  reg_comment: Text;
  created_at: number;
}

export interface ApiKeyTable {
  id: Generated<number>;
  customer_uid: string;
  /** SHA-256 of the key, hex. Keys carry 128 random bits, so a fast hash suffices. */
  key_hash: string;
  /** The first 4 characters, to tell keys apart in listings. */
  key_prefix: string;
  created_at: number;
  revoked_at: number | null;
}

export interface ConferenceTable {
  uid: string;
  customer_uid: string;
  name: string;
  did: string;
  /** 1 for a reserved conference, 0 for a reservationless one. */
  reserved: Flag;
  canceled_at: number | null;
  active_call_uid: string | null;
  /** End of the last reservation (reserved conferences); kept by every reservation write. */
  last_end: number | null;
  recording: Flag;
  greenroom: Flag;
  background_music: Flag;
  reminder: Flag;
  contact_email: Text;
  register_text: Text;
  notes: Text;
  data: Text;
  caller_interface: Text;
  pre_call: Text;
  post_call: Text;
  banner: Text;
  reg_comment: Text;
  security_token: string;
  /** JSON array of RoleFlag objects. */
  settings: string;
  created_at: number;
  /** Bumped by every write that must serialise on the conference (a portable row lock). */
  version: ColumnType<number, number | undefined, number>;
}

/**
 * A reservation. A reservationless conference has exactly one, with no times:
 * it carries the estimated caller count (the spec's codes for
 * updateConferenceReservation and removeConferenceReservation presume it).
 */
export interface ReservationTable {
  uid: string;
  conference_uid: string;
  customer_uid: string;
  start_at: number | null;
  end_at: number | null;
  /** Minutes, rounded up to the quarter hour. */
  duration: number | null;
  estimated_callers: number | null;
  created_at: number;
}

export interface PersonTable {
  id: Generated<number>;
  uid: string;
  conference_uid: string;
  customer_uid: string;
  name: Text;
  email: Text;
  notes: Text;
  custom1: Text;
  custom2: Text;
  role: string;
  pin: string;
  ani: Text;
  created_at: number;
}

/** A dial-in PIN held by a person: unique per DID among live conferences. */
export interface PinClaimTable {
  did: string;
  pin: string;
  person_uid: string;
  conference_uid: string;
}

export interface CustomValueTable {
  customer_uid: string;
  object_type: string;
  object_uid: string;
  key: string;
  value: string;
}

/** A call: one session of a conference on the phone, created by the bridge. */
export interface CallTable {
  uid: string;
  conference_uid: string;
  customer_uid: string;
  name: Text;
  /** ACTIVE while callers are on it, then CLOSED. */
  status: string;
  started_at: number;
  ended_at: number | null;
  notes: Text;
  data: Text;
  server: Text;
  /** JSON array of RoleFlag objects, copied from the conference when the call starts. */
  settings: string;
  talking: Flag;
  greenroom: Flag;
  background_music: Flag;
  /** The name of the call's room on the media server (migration 002). */
  server_conference_uid: Text;
}

/** A breakout a call has used, so the call lists it after its callers move on (migration 002). */
export interface CallBreakoutTable {
  call_uid: string;
  breakout_uid: string;
  customer_uid: string;
  first_used_at: number;
}

/** One leg into a call. A rejoin is a new caller record. */
export interface CallerTable {
  uid: string;
  call_uid: string;
  conference_uid: string;
  customer_uid: string;
  person_uid: string | null;
  ani: Text;
  pin: Text;
  role: string;
  started_at: number;
  ended_at: number | null;
  breakout: string | null;
  breakout_at: number | null;
  mic: Flag;
  mute: Flag;
  deaf: Flag;
  active: Flag;
  tag: Text;
  attention: number;
  attention_at: number | null;
  data: Text;
  notes: Text;
  custom1: Text;
  custom2: Text;
  name: Text;
  email: Text;
}

/** Where a queued message stands: waiting, being sent (leased), sent, or dropped. */
/** `failed`: still unsent after MAIL_MAX_AGE_HOURS of retries; `baton mail retry` queues it again. */
export type MailStatus = 'queued' | 'sending' | 'sent' | 'expired' | 'canceled' | 'failed';

/** One email Baton sends: queued first, then delivered with retries (never lost). */
export interface MailQueueTable {
  uid: string;
  customer_uid: string;
  conference_uid: string | null;
  person_uid: string | null;
  /** confirmation, reminder-24h, reminder-2h, invitation-update, invitation-cancel. */
  kind: string;
  recipient: string;
  subject: string;
  /** JSON of the rendered message (text, html, calendar parts). */
  message: string;
  status: MailStatus;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: number;
  /** While `sending`: when the lease lapses and another worker may take the message over. */
  locked_until: number | null;
  /** A reminder is worthless once its reservation has started. */
  expires_at: number | null;
  last_error: Text;
  message_id: Text;
  created_at: number;
  sent_at: number | null;
  /** When `baton mail retry` queued it again: the retry age counts from here (else from created_at). */
  retry_since: ColumnType<number | null, number | null | undefined, number | null>;
}

/** One reminder queued for (reservation, person, kind, start): the unique key makes it once only. */
export interface ReminderClaimTable {
  reservation_uid: string;
  person_uid: string;
  kind: string;
  start_at: number;
  mail_uid: string;
  created_at: number;
}

/** The calendar invitation last sent to a self-registered person. */
export interface InvitationTable {
  person_uid: string;
  conference_uid: string;
  customer_uid: string;
  /** iCalendar SEQUENCE of the last message sent; rises with each update. */
  sequence: number;
  /** JSON of the events last sent: [{uid, start, end}], earliest first. */
  schedule: string;
  /** 1 once METHOD:CANCEL went out. */
  canceled: Flag;
  updated_at: number;
}

/** The last sequence number handed out to a customer's events (migration 007). */
export interface EventCounterTable {
  customer_uid: string;
  last_sequence: number;
}

/** One change, as the API presents the object it changed (migration 007). */
export interface EventTable {
  customer_uid: string;
  /** 1, 2, 3 … per customer, in commit order. */
  sequence: number;
  /** Globally unique: the `webhook-id` of its deliveries. */
  id: string;
  type: string;
  occurred_at: number;
  /** JSON object. */
  data: string;
}

/** Whether an endpoint receives deliveries. */
export type WebhookStatus = 'enabled' | 'disabled';

/** Where a customer wants events delivered (migration 007). */
export interface WebhookEndpointTable {
  uid: string;
  customer_uid: string;
  url: string;
  /** JSON array of event types; empty for every type. */
  event_types: string;
  /** `whsec_` + base64 of the signing key. */
  secret: string;
  description: Text;
  status: WebhookStatus;
  /** The endpoint's cursor: every event up to this sequence has been delivered (or skipped as unwanted). */
  delivered_sequence: number;
  /** Failed attempts since the last success. */
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: number;
  failing_since: number | null;
  last_error: Text;
  /** While a worker delivers: when its lease lapses. */
  locked_until: number | null;
  /** The lease holder's token: a worker whose lease was taken over writes nothing. */
  lease_token: string | null;
  created_at: number;
  disabled_at: number | null;
}

/** A throttle's count for one key in its current window (shared by every process on the database). */
export interface ThrottleCounterTable {
  /** Which throttle: auth, registration, bridge-auth, pin-ani, pin-did, … */
  scope: string;
  /** What is counted: a client address, a caller number, a dial-in number. */
  key: string;
  window_start: number;
  hits: number;
  /** window_start + the window: after this the row is stale and may be pruned. */
  expires_at: number;
}

/** Where a keyed command stands: running (claimed) or finished with its answer stored. */
export type IdempotencyState = 'pending' | 'done';

/** One Idempotency-Key of a customer (migration 009): the call it names and, once done, its answer. */
export interface IdempotencyKeyTable {
  customer_uid: string;
  key: string;
  /** SHA-256 (hex) of the function name and its parameters, credentials and `type` left out. */
  request_hash: string;
  state: IdempotencyState;
  /** The answer's code, once done. */
  code: number | null;
  message: Text;
  /** JSON of the answer's result tree, once done (null for an error answer). */
  value: string | null;
  /** While pending: when the claim lapses and a repeat may run the call itself (its first runner died). */
  locked_until: number;
  created_at: number;
  /** 24 h after creation: the key may then be used afresh, and the job runner deletes the row. */
  expires_at: number;
}

export interface Database {
  customers: CustomerTable;
  api_keys: ApiKeyTable;
  conferences: ConferenceTable;
  reservations: ReservationTable;
  persons: PersonTable;
  pin_claims: PinClaimTable;
  custom_values: CustomValueTable;
  calls: CallTable;
  callers: CallerTable;
  call_breakouts: CallBreakoutTable;
  mail_queue: MailQueueTable;
  reminder_claims: ReminderClaimTable;
  invitations: InvitationTable;
  event_counters: EventCounterTable;
  events: EventTable;
  webhook_endpoints: WebhookEndpointTable;
  throttle_counters: ThrottleCounterTable;
  idempotency_keys: IdempotencyKeyTable;
}
