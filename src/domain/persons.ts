/** Persons registered for a conference: adding (with a PIN), editing, removing. */
import type { Kysely } from 'kysely';
import type { CallContext } from '../context.js';
import { ParameterError } from '../errors.js';
import { parseRole, type Role } from '../protocol/params.js';
import { inTransaction, isRerunnable } from '../store/database.js';
import {
  findConference,
  findConferenceFactsForShare,
  findConferenceForShareWithReservations,
  findConferenceVersioned,
  lockConference,
  type ConferenceRow,
} from '../store/conference.repository.js';
import { listCustomValues, type CustomValue } from '../store/custom-value.repository.js';
import {
  deletePerson,
  findPerson,
  insertPerson,
  insertPersonClaimingPin,
  insertPersonIfConferenceUnchanged,
  updatePerson,
  type KeyInWrite,
  type PersonPatch,
  type PersonRow,
} from '../store/person.repository.js';
import { KeyNotClaimed } from '../store/idempotency.repository.js';
import { statusOf } from './conferences.js';
import type { Slot, StatusFacts } from './status.js';
import { requireEmailAddress } from './email-address.js';
import { checkName } from './names.js';
import { eventRows, eventsCommitted, personEvent, recordEvents, type RegistrationSource } from './events.js';
import { allocatePin, tryClaimPin } from './pins.js';
import { isPromise } from '../maybe-promise.js';
import type { Database } from '../store/schema.js';

export interface NewPersonInput {
  conference: string;
  role: Role;
  name?: string;
  email?: string;
  notes?: string;
  custom1?: string;
  custom2?: string;
  /** Who registered the person, for the person.registered event. Default 'api'. */
  source?: RegistrationSource;
}

/** Longest value of each person field. */
export const personFieldLimits = { name: 200, email: 254, notes: 4000, custom1: 1000, custom2: 1000 } as const;

/**
 * The length rule for a new person's texts, whichever door they come in by (the API's parameters,
 * the site's form, an import, the bridge): one rule, here. The email has its own (requireEmailAddress).
 */
function checkNewPersonTexts(input: NewPersonInput): void {
  if (input.name !== undefined) checkName('name', input.name, personFieldLimits.name, false);
  checkLength('notes', input.notes);
  checkLength('custom1', input.custom1);
  checkLength('custom2', input.custom2);
}

function checkLength(field: 'notes' | 'custom1' | 'custom2', value: string | undefined): void {
  if (value !== undefined && value.length > personFieldLimits[field]) {
    throw new ParameterError(`${field} must be at most ${personFieldLimits[field]} characters`);
  }
}

/**
 * Work to do in the same transaction as the insert (self-registration queues
 * its confirmation there, so a person never exists without it).
 */
export type AfterPersonInsert = (trx: Kysely<Database>, person: PersonRow, conference: ConferenceRow) => Promise<void>;

/**
 * addPerson: registers a person with a fresh PIN. A canceled or closed
 * conference takes no new persons (their PINs would not be live).
 * `present`: how the caller presents the result, for an idempotency key's
 * claim carried by the call (`ctx.keyClaim`): its stored answer is written
 * with the person, in the one statement; a call that cannot write so throws
 * KeyNotClaimed having written nothing.
 */
export async function addPerson(
  ctx: CallContext,
  input: NewPersonInput,
  afterInsert?: AfterPersonInsert,
  present?: (view: PersonView) => unknown,
): Promise<PersonView> {
  const { services, customer } = ctx;
  checkNewPersonTexts(input);
  const email = input.email === undefined ? '' : requireEmailAddress(input.email, 'email');
  const uid = services.random.uid();
  // The last PIN drawn: if the one-statement write found it held, the
  // transaction applies the PIN rules to this same draw (an ended
  // conference's PIN is taken over before any further draw).
  let drawn: string | undefined;
  // Only PostgreSQL has that write (SQLite's write group batches the commits already): on SQLite
  // not even asked, since the asking cost two async calls and their promises a registration.
  if (!afterInsert && services.store.dialect === 'postgres') {
    const added = await addPersonInOneWrite(ctx, input, uid, email, (pin) => (drawn = pin), present);
    if (added) return added;
  }
  // The transaction below would write without the key's claim.
  if (ctx.keyClaim) throw new KeyNotClaimed();
  // One unit of work: the checks and the writes share one transaction, so a
  // cancel cannot land between "not canceled" and the PIN claim.
  return inTransaction(services.store.db, async (trx) => {
    const dialect = services.store.dialect;
    // Inside an SQLite write group the facts read, the claim and insert, and the event's append answer at once:
    // each is awaited only when it is a promise (an await of a value would still cost a promise and a turn
    // of the microtask queue, three a registration).
    // Only the work after the insert needs the whole row (self-registration's confirmation).
    const read = afterInsert
      ? findConferenceForShareWithReservations(trx, dialect, customer.uid, input.conference)
      : findConferenceFactsForShare(trx, dialect, customer.uid, input.conference);
    const found = isPromise(read) ? await read : read;
    if (!found) throw new ParameterError(`no conference with UID ${input.conference}`);
    const { row: conference, reservations } = found;
    requireTakesPersons(ctx, conference, reservations);
    // The usual case, a free PIN on the first draw, claims it and inserts in
    // one statement on PostgreSQL; a PIN someone holds goes through the PIN
    // rules (take-over of an ended conference's PIN, further draws).
    const first = drawn ?? services.random.pin();
    const row = newPersonRow(ctx, input, uid, email, conference.uid, first);
    const inserted = insertPersonClaimingPin(trx, { did: conference.did, pin: first }, row);
    let person = isPromise(inserted) ? await inserted : inserted;
    if (!person) {
      const claim = { did: conference.did, person_uid: uid, conference_uid: conference.uid };
      const pin = (await tryClaimPin(trx, services, { ...claim, pin: first }))
        ? first
        : await allocatePin(trx, services, claim);
      person = await insertPerson(trx, { ...row, pin });
    }
    if (afterInsert) await afterInsert(trx, person, conference as ConferenceRow);
    const recorded = recordEvents(trx, services, customer.uid, [
      personEvent('person.registered', person, conference.did, [], input.source ?? 'api'),
    ]);
    if (isPromise(recorded)) await recorded;
    return { person, did: conference.did, custom: [] };
  });
}

/** A canceled or closed conference takes no new persons: -2 that says which. */
function requireTakesPersons(
  ctx: CallContext,
  conference: StatusFacts & { uid: string },
  reservations: readonly Slot[],
): void {
  const { status } = statusOf(ctx, conference, reservations);
  if (status === 'CANCEL' || status === 'CLOSED') {
    throw new ParameterError(`conference ${conference.uid} is ${status === 'CANCEL' ? 'canceled' : 'closed'}`);
  }
}

/** The persons row addPerson inserts, with the PIN it claims first. */
function newPersonRow(
  ctx: CallContext,
  input: NewPersonInput,
  uid: string,
  email: string,
  conferenceUid: string,
  pin: string,
) {
  return {
    uid,
    conference_uid: conferenceUid,
    customer_uid: ctx.customer.uid,
    name: input.name ?? '',
    email,
    notes: input.notes ?? '',
    custom1: input.custom1 ?? '',
    custom2: input.custom2 ?? '',
    role: input.role,
    pin,
    ani: '',
    created_at: ctx.services.clock.now(),
  };
}

/**
 * How many PINs the one-statement write draws before the transaction takes
 * over. A write that wrote nothing mostly found its PIN held (on a DID with
 * n PINs claimed, n in 10^6 of first draws: 2% at 20,000), and the
 * transaction is six to nine round trips that hold the customer's event
 * counter row from its event's append to its COMMIT, so the customer's
 * groups wait on it; a second draw, in the next group, leaves (n/10^6)² of
 * the registrations to it (0.04% at 20,000). A write that wrote nothing for
 * another reason (the conference changed since it was read, a group the
 * server refused) pays one more group before the transaction judges it.
 */
const oneWriteDraws = 2;

/**
 * PostgreSQL's usual case in two round trips instead of five: the conference
 * read without a transaction, judged here, then one statement that claims the
 * PIN drawn (a second draw if it was held: oneWriteDraws), inserts the person and appends the event — only if the
 * conference row is still the one judged (it share-locks it, so a cancel
 * cannot slip in before the commit). Undefined when the store has no such
 * write (SQLite, whose write group already batches commits) or it wrote
 * nothing (the conference changed, the PIN is held): the caller runs the
 * transaction, which judges again and applies the PIN rules. The store
 * sends the read and the write of the same customer's concurrent calls
 * together (one statement, one COMMIT per group); each call's answer is
 * still its own, judged here.
 */
async function addPersonInOneWrite(
  ctx: CallContext,
  input: NewPersonInput,
  uid: string,
  email: string,
  onDraw: (pin: string) => void,
  present: ((view: PersonView) => unknown) | undefined,
): Promise<PersonView | undefined> {
  const { services, customer, keyClaim } = ctx;
  if (keyClaim && !present) return undefined;
  const found = await findConferenceVersioned(services.store.db, customer.uid, input.conference, ctx.readAhead);
  if (found === null) return undefined;
  if (!found) throw new ParameterError(`no conference with UID ${input.conference}`);
  const { row: conference, reservations, version } = found;
  requireTakesPersons(ctx, conference, reservations);
  for (let draw = 0; draw < oneWriteDraws; draw++) {
    const pin = services.random.pin();
    onDraw(pin);
    const row = newPersonRow(ctx, input, uid, email, conference.uid, pin);
    // The event presents the row as inserted (the presenter reads no generated column).
    const event = personEvent('person.registered', { id: 0, ...row }, conference.did, [], input.source ?? 'api');
    // The key's answer is the result as it will be presented (the presenter reads no generated column either).
    const key: KeyInWrite | undefined =
      keyClaim && present
        ? {
            claim: keyClaim.claim,
            stored: keyClaim.storedFor(present({ person: { id: 0, ...row }, did: conference.did, custom: [] })),
          }
        : undefined;
    const person = await insertPersonIfConferenceUnchanged(
      services.store.db,
      { conferenceUid: conference.uid, customerUid: customer.uid, version, did: conference.did },
      row,
      eventRows(services, [event]),
      key,
    ).catch((error: unknown) => {
      // A deadlock or serialization failure rolled the statement back: the
      // transaction, which runs such failures again, takes over.
      if (isRerunnable(error)) return null;
      throw error;
    });
    if (person === null) return undefined;
    if (!person) continue;
    if (keyClaim) keyClaim.committed = true;
    eventsCommitted(services.store);
    return { person, did: conference.did, custom: [] };
  }
  return undefined;
}

/** A person with what its presentation needs: the dial-in number and custom values. */
export interface PersonView {
  person: PersonRow;
  did: string;
  custom: CustomValue[];
}

/** Loads what presenting `person` needs. */
export async function loadPersonView(ctx: CallContext, person: PersonRow): Promise<PersonView> {
  const { db } = ctx.services.store;
  const [conference, custom] = await Promise.all([
    findConference(db, ctx.customer.uid, person.conference_uid),
    listCustomValues(db, ctx.customer.uid, 'person', person.uid),
  ]);
  return { person, did: conference?.did ?? '', custom };
}

/** The person `uid` of this customer, or a -2 that names it. */
export async function requirePerson(ctx: CallContext, uid: string): Promise<PersonRow> {
  const row = await findPerson(ctx.services.store.db, ctx.customer.uid, uid);
  if (!row) throw new ParameterError(`no person with UID ${uid}`);
  return row;
}

/** The fields updatePerson may set (spec: name, email, notes, custom1, custom2, role). */
export const personFields = ['name', 'email', 'notes', 'custom1', 'custom2', 'role'] as const;

/** updatePerson: sets one field; any other field is a -2 that lists the valid ones. */
export async function updatePersonField(
  ctx: CallContext,
  uid: string,
  fieldName: string,
  value: string,
): Promise<PersonRow> {
  return updatePersonFields(ctx, uid, [[fieldName, value]]);
}

/**
 * Sets several updatePerson fields at once (the site's registrant form):
 * every value is checked first, then all are written in one transaction with
 * one person.updated event, so a refused value writes none of them.
 */
export async function updatePersonFields(
  ctx: CallContext,
  uid: string,
  changes: readonly (readonly [fieldName: string, value: string])[],
): Promise<PersonRow> {
  const patch: PersonPatch = {};
  for (const [fieldName, value] of changes) {
    const field = personFields.find((f) => f.toLowerCase() === fieldName.trim().toLowerCase());
    if (!field) {
      throw new ParameterError(`field "${fieldName}" cannot be updated; use one of ${personFields.join(', ')}`);
    }
    if (field === 'role') {
      patch.role = parseRole(value);
    } else if (field === 'email') {
      patch.email = value.trim() === '' ? '' : requireEmailAddress(value, 'value');
    } else if (field === 'name') {
      checkName('value for name', value, personFieldLimits.name, false);
      patch.name = value;
    } else {
      const max = personFieldLimits[field];
      if (value.length > max) throw new ParameterError(`value for ${field} must be at most ${max} characters`);
      patch[field] = value;
    }
  }
  const { services, customer } = ctx;
  if (changes.length === 0) {
    const row = await findPerson(services.store.db, customer.uid, uid);
    if (!row) throw new ParameterError(`no person with UID ${uid}`);
    return row;
  }
  return inTransaction(services.store.db, async (trx) => {
    const row = await updatePerson(trx, customer.uid, uid, patch);
    if (!row) throw new ParameterError(`no person with UID ${uid}`);
    const conference = await findConference(trx, customer.uid, row.conference_uid);
    const custom = await listCustomValues(trx, customer.uid, 'person', row.uid);
    await recordEvents(trx, services, customer.uid, [
      personEvent('person.updated', row, conference?.did ?? '', custom),
    ]);
    return row;
  });
}

/** removePerson: the person must belong to the named conference. Their PIN returns to the pool. */
export async function removePerson(
  ctx: CallContext,
  conferenceUid: string,
  personUid: string,
): Promise<{ person: PersonRow; did: string }> {
  const { services, customer } = ctx;
  return inTransaction(services.store.db, async (trx) => {
    const conference = await lockConference(trx, customer.uid, conferenceUid);
    if (!conference) throw new ParameterError(`no conference with UID ${conferenceUid}`);
    const person = await findPerson(trx, customer.uid, personUid);
    if (!person || person.conference_uid !== conference.uid) {
      throw new ParameterError(`no person with UID ${personUid} in conference ${conferenceUid}`);
    }
    const custom = await listCustomValues(trx, customer.uid, 'person', person.uid);
    await deletePerson(trx, customer.uid, personUid);
    await recordEvents(trx, services, customer.uid, [personEvent('person.removed', person, conference.did, custom)]);
    return { person, did: conference.did };
  });
}
