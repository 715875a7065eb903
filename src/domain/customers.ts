/** Customers and their API keys: creation, authentication, editable fields. */
import { createHash, hash, timingSafeEqual } from 'node:crypto';
import type { Services } from '../context.js';
import { andThen, type MaybePromise } from '../maybe-promise.js';
import { ApiError, AuthError, GeneralError, ParameterError } from '../errors.js';
import { checkName } from './names.js';
import {
  findCredentials,
  findCustomer,
  insertApiKey,
  insertCustomer,
  listCustomerDids,
  revokeApiKeys,
  updateCustomer,
  type CustomerRow,
} from '../store/customer.repository.js';
import { inTransaction } from '../store/database.js';
import type { ReadAhead, ViewRequest } from '../store/conference-view.repository.js';
import { readRequest, type ThrottleTarget } from '../store/request-read.repository.js';
import type { ThrottleWindow } from '../store/throttle.repository.js';
import { customerFields, findField, parseFieldValue } from './editable-fields.js';
import { canonicalTimeZone } from './time.js';

export const customerStatuses = ['ACTIVE', 'SUSPEND', 'CLOSED', 'HOLD'] as const;
export type CustomerStatus = (typeof customerStatuses)[number];

/** SHA-256 of a key, hex: what the database stores instead of the key. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Digits only: how dialled numbers and stored DIDs are compared (`+1 555 0100` = `15550100`). */
export function didDigits(did: string): string {
  return did.replace(/\D/g, '');
}

export interface NewCustomerInput {
  name: string;
  did?: string;
  timeZone?: string;
}

/** Creates a customer with one API key; the key is returned once and never stored. */
export async function createCustomer(
  services: Services,
  input: NewCustomerInput,
): Promise<{ customer: CustomerRow; key: string }> {
  const name = input.name.trim();
  checkName('name', name, 200, true);
  const typedZone = input.timeZone ?? services.config.defaultTimeZone;
  const timeZone = canonicalTimeZone(typedZone);
  if (timeZone === null) throw new ParameterError(`unknown time zone "${typedZone.slice(0, 64)}"`);
  const did = (input.did ?? '').trim();
  if (did.length > 32 || !/^[0-9+()\-. ]*$/.test(did)) {
    throw new ParameterError('did must be a phone number of at most 32 characters');
  }
  const now = services.clock.now();
  return inTransaction(services.store.db, async (trx) => {
    // PINs are unique per DID as written, and the bridge finds a dialled number by its digits: a number
    // another customer already has, written another way (1-555-0100 for +1 555 0100), takes that
    // spelling, or the two customers' persons could hold the same PIN on one line.
    const digits = didDigits(did);
    const sameLine = (await listCustomerDids(trx)).filter((known) => didDigits(known) === digits).sort()[0];
    const customer = await insertCustomer(trx, {
      uid: services.random.uid(),
      name,
      status: 'ACTIVE',
      did: sameLine ?? did,
      time_zone: timeZone,
      recording: 0,
      greenroom: 0,
      background_music: 0,
      reminder: 1,
      place_call: 0,
      created_at: now,
    });
    const key = await addKey(trx, services, customer.uid);
    return { customer, key };
  });
}

async function addKey(db: Services['store']['db'], services: Services, customerUid: string): Promise<string> {
  const key = services.random.key();
  await insertApiKey(db, {
    customer_uid: customerUid,
    key_hash: hashKey(key),
    key_prefix: key.slice(0, 4),
    created_at: services.clock.now(),
  });
  return key;
}

/** Adds a key to an existing customer (rotation); returns it once. */
export async function createKey(services: Services, customerUid: string): Promise<string> {
  const customer = await findCustomer(services.store.db, customerUid);
  if (!customer) throw new ParameterError(`no customer ${customerUid}`);
  return addKey(services.store.db, services, customerUid);
}

/** Revokes one key of a customer; false when it was not a live key of theirs. */
export async function revokeKey(services: Services, customerUid: string, key: string): Promise<boolean> {
  const n = await revokeApiKeys(services.store.db, customerUid, { keyHash: hashKey(key) }, services.clock.now());
  return n > 0;
}

/** Sets a customer's status (ACTIVE, SUSPEND, CLOSED, HOLD). */
export async function setCustomerStatus(
  services: Services,
  customerUid: string,
  status: CustomerStatus,
): Promise<CustomerRow> {
  const row = await updateCustomer(services.store.db, customerUid, { status });
  if (!row) throw new ParameterError(`no customer ${customerUid}`);
  return row;
}

/** Stored key hashes (never keys) as bytes, decoded once instead of on every request; bounded. */
const hashBytes = new Map<string, Buffer>();
const hashBytesLimit = 10_000;

function storedHashBytes(hash: string): Buffer {
  let bytes = hashBytes.get(hash);
  if (bytes === undefined) {
    bytes = Buffer.from(hash, 'hex');
    // A wrongly sized stored hash stays out (timingSafeEqual throws on it, as before).
    if (bytes.length !== 32) return bytes;
    if (hashBytes.size >= hashBytesLimit) hashBytes.clear();
    hashBytes.set(hash, bytes);
  }
  return bytes;
}

// A hash that matches no key, compared when the customer is unknown so that
// an unknown customer and a wrong key take the same path.
const decoy = Buffer.from(hashKey('no key has this value'), 'hex');

/**
 * The customer that `customerUid` + `key` authenticate, compared in constant
 * time. Wrong or missing credentials: AuthError (-5), the same whichever was
 * wrong. A customer that is not ACTIVE: GeneralError (-1). On SQLite, when
 * the exact cache holds the customer's keys and row, the answer comes in the
 * same turn (no promise), and a refusal is thrown rather than rejected.
 */
export function authenticate(
  services: Services,
  customerUid: string | undefined,
  key: string | undefined,
): MaybePromise<CustomerRow> {
  return andThen(checkCredentials(services, customerUid, key), throwRefusal);
}

/**
 * `authenticate` with its refusal (AuthError, GeneralError) as the value
 * instead of thrown: the API's hot path answers a flood of wrong keys
 * without unwinding the stack for each. A failure to read still throws or
 * rejects.
 */
export function checkCredentials(
  services: Services,
  customerUid: string | undefined,
  key: string | undefined,
): MaybePromise<CustomerRow | ApiError> {
  const given = wellFormed(customerUid, key);
  if (!given) return new AuthError();
  // One-shot (no Hash object), as a 32-character latin1 string: a Buffer per request cost 0.8 µs, this 0.25.
  const offered = hash('sha256', given[1], 'binary');
  const db = services.store.db;
  return andThen(findCredentials(db, given[0]), (credentials) =>
    matchKey(offered, credentials.keyHashes)
      ? andThen(credentials.customer ?? findCustomer(db, given[0]), customerOrRefusal)
      : customerOrRefusal(undefined),
  );
}

function throwRefusal(outcome: CustomerRow | ApiError): CustomerRow {
  if (outcome instanceof ApiError) throw outcome;
  return outcome;
}

/** Whether the credentials can be looked up at all (bounded input). */
function wellFormed(
  customerUid: string | undefined,
  key: string | undefined,
): [customerUid: string, key: string] | undefined {
  return customerUid && key && customerUid.length <= 64 && key.length <= 128 ? [customerUid, key] : undefined;
}

/** The offered key's hash as bytes, for the comparison only: reused, so no Buffer per request. */
const offeredBytes = Buffer.alloc(32);

/**
 * Whether `offered` (a SHA-256 digest as latin1 or hex text) is one of
 * `hashes`, compared in constant time (and a decoy when there are none).
 */
function matchKey(offered: string, hashes: readonly string[], encoding: 'latin1' | 'hex' = 'latin1'): boolean {
  // Synchronous from the write to the last comparison: no other request can use the bytes meanwhile.
  if (offeredBytes.write(offered, encoding) !== 32) return false;
  let match = false;
  for (const hash of hashes) {
    if (timingSafeEqual(offeredBytes, storedHashBytes(hash))) match = true;
  }
  if (hashes.length === 0) timingSafeEqual(offeredBytes, decoy);
  return match;
}

/** The customer a matched key belongs to, if it may use the API. */
function activeCustomer(customer: CustomerRow | undefined): CustomerRow {
  return throwRefusal(customerOrRefusal(customer));
}

/** `activeCustomer`'s answer with its refusal as the value. */
function customerOrRefusal(customer: CustomerRow | undefined): CustomerRow | ApiError {
  if (!customer) return new AuthError();
  if (customer.status !== 'ACTIVE') return new GeneralError(`customer account is ${customer.status}; contact support`);
  return customer;
}

/** What `authenticateRequest` found: the customer or the refusal, the throttle window, a read-ahead view. */
export interface RequestAuthentication {
  /** The authenticated customer, or the error that refused it (AuthError, GeneralError). */
  outcome: { customer: CustomerRow } | { error: unknown };
  throttle: ThrottleWindow | undefined;
  /** The view the request will read, read with the credentials (only for an authenticated customer). */
  readAhead: ReadAhead | undefined;
}

/**
 * `authenticate` for an API request on PostgreSQL, in one round trip shared
 * with the other requests of the turn (request-read.repository.ts): the same
 * statement reads the throttle window of `throttle` and, if the request
 * declared it, the view its function will read (`view`), handed back only
 * when the key matched. Undefined on SQLite (the caller authenticates with
 * `authenticate`). A failure to read rejects.
 */
export async function authenticateRequest(
  services: Services,
  customerUid: string | undefined,
  key: string | undefined,
  throttle: ThrottleTarget | undefined,
  view: ViewRequest | undefined,
): Promise<RequestAuthentication | undefined> {
  const { db } = services.store;
  const given = wellFormed(customerUid, key);
  if (!given) {
    if (services.store.dialect !== 'postgres') return undefined;
    // Only the throttle window is of use: read in the batch too (no customer has the empty UID).
    const window = throttle ? (await readRequest(db, { customerUid: '', keyHash: '', throttle }))?.throttle : undefined;
    return { outcome: { error: new AuthError() }, throttle: window, readAhead: undefined };
  }
  const offeredHex = hashKey(given[1]);
  const read = await readRequest(db, { customerUid: given[0], keyHash: offeredHex, throttle, view });
  if (!read) return undefined;
  try {
    const customer = activeCustomer(matchKey(offeredHex, read.keyHashes, 'hex') ? read.customer : undefined);
    return { outcome: { customer }, throttle: read.throttle, readAhead: read.readAhead };
  } catch (error) {
    return { outcome: { error }, throttle: read.throttle, readAhead: undefined };
  }
}

/** updateCustomer: sets one editable field. Unknown field: -2 (the spec gives no code). */
export async function updateCustomerField(
  services: Services,
  customer: CustomerRow,
  fieldName: string,
  value: string,
): Promise<CustomerRow> {
  return updateCustomerFields(services, customer, [[fieldName, value]]);
}

/**
 * Sets several updateCustomer fields at once (the site's Account form): every
 * value is checked before the one write, so a refused value writes none of them.
 */
export async function updateCustomerFields(
  services: Services,
  customer: CustomerRow,
  changes: readonly (readonly [fieldName: string, value: string])[],
): Promise<CustomerRow> {
  const patch: Record<string, string | number> = {};
  for (const [fieldName, value] of changes) {
    const field = findField(customerFields, fieldName);
    if (!field) {
      throw new ParameterError(
        `field "${fieldName}" cannot be updated; use one of ${customerFields.map((f) => f.name).join(', ')}`,
      );
    }
    patch[field.column] = parseFieldValue(field, value);
  }
  if (changes.length === 0) return customer;
  const row = await updateCustomer(services.store.db, customer.uid, patch);
  if (!row) throw new AuthError();
  return row;
}
