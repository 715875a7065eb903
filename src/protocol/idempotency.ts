/**
 * Idempotent commands. A command sent with an `Idempotency-Key` header (or an
 * `idempotencyKey` parameter, for clients that can only send forms) runs once
 * per customer and key: a repeat within 24 h with the same parameters gets the
 * first answer without the work being done again — in any process on the
 * database — and a repeat with other parameters is a -2 that says so.
 *
 * What counts as "the same parameters": the function's name and every
 * parameter sent, except the credentials (`customer`, `key`, so a rotated key
 * still matches), the answer's format (`type`: the stored answer is the result
 * tree, rendered afresh as XML or JSON) and the idempotency key itself.
 *
 * Which answers are kept: success (0) and every deliberate refusal of the
 * function (-1, -2 and its own positive codes) — the call ran and decided.
 * A -3 or an unhandled failure is not kept: the claim is dropped so that a
 * retry with the same key runs the call again.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Services } from '../context.js';
import { ApiError, GeneralCode, ParameterError, RetryableError } from '../errors.js';
import {
  claimedInOneUnit,
  claimsInItsWrite,
  claimsInOneUnit,
  completeIdempotencyKey,
  deleteExpiredIdempotencyKey,
  findIdempotencyKey,
  insertIdempotencyClaim,
  KeyNotClaimed,
  releaseIdempotencyClaim,
  takeOverIdempotencyClaim,
  type IdempotencyKeyRow,
  type KeyClaimInWrite,
} from '../store/idempotency.repository.js';
import type { Database } from '../store/schema.js';
import type { Params } from './request-params.js';
import { TreeList, type Tree, type TreeObject } from './tree.js';

/** An answer as the envelope carries it. */
export interface Answer {
  code: number;
  message: string;
  value: Tree;
}

/** How long a key names its first call. */
export const idempotencyWindowMs = 24 * 3_600_000;
/** How long a claim holds before a repeat may assume its runner died and run the call itself. */
export const idempotencyLeaseMs = 60_000;
/** How long a concurrent repeat waits for the first call's answer before answering -3. */
export const idempotencyWaitMs = 30_000;
/** Keys: 1–255 visible ASCII characters (a UUID, a ULID, an order number …). */
const keyPattern = /^[\x21-\x7e]{1,255}$/;

/** A key's row not read yet (see answerOnce). */
const unread = Symbol('unread');

/** The parameters that do not make two calls different. */
const ignoredParams = new Set(['customer', 'key', 'type', 'idempotencyKey']);

/** The key a request carries (header or parameter), validated; undefined when it carries none. */
export function readIdempotencyKey(header: string | string[] | undefined, params: Params): string | undefined {
  const fromHeader = Array.isArray(header) ? header.at(-1) : header;
  const fromParam = params.idempotencyKey;
  // An empty key (`Idempotency-Key:` with no value, `idempotencyKey=`) is a key that is not 1 to 255
  // characters, a -2 like any other: taken as no key, the call would run unprotected while its client
  // believed a retry safe (a template's unset variable, a key generator that failed).
  const sent = [fromHeader, fromParam].filter((k): k is string => k !== undefined);
  if (sent.length === 0) return undefined;
  if (sent.length === 2 && sent[0] !== sent[1]) {
    throw new ParameterError('the Idempotency-Key header and the idempotencyKey parameter differ');
  }
  const key = sent[0]!;
  if (!keyPattern.test(key)) {
    throw new ParameterError('idempotency key must be 1 to 255 visible ASCII characters (no spaces)');
  }
  return key;
}

/** SHA-256 of the function name and its parameters in name order, credentials, `type` and the key left out. */
export function requestHash(functionName: string, params: Params): string {
  const entries = Object.entries(params)
    .filter(([name]) => !ignoredParams.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([functionName, entries]))
    .digest('hex');
}

/**
 * Runs `work` once for (customer, key): the first caller claims the key and
 * runs it; a concurrent repeat polls the claim (with backoff, bounded by
 * `idempotencyWaitMs`) and returns the answer the first caller stored. On
 * SQLite a key without a row is claimed, run and answered in one write unit
 * (`claimedInOneUnit`: `work` is handed that unit's transaction); a failed
 * COMMIT then loses all three, and a retry runs the call afresh.
 * `inOneUnit` false: the claim is a write of its own even there (a call
 * that waits on something other than the store). On PostgreSQL, for a
 * call whose one write can carry the claim (`inItsWrite`), a key without a
 * row goes with the call's write statement, stored with its answer
 * (KeyClaimInWrite): one statement and one COMMIT for claim, call and
 * answer; when that statement did not write (the call refused, or found its
 * conference changed), the key is claimed alone and the call runs again
 * under the claim.
 */
export async function answerOnce(
  services: Services,
  customerUid: string,
  key: string,
  hash: string,
  work: UnitWork,
  inOneUnit = true,
  inItsWrite = false,
): Promise<Answer> {
  const db = services.store.db;
  const startedAt = performance.now();
  // SQLite: a key is read first, without a write (a repeat, another body, a
  // call in flight answer from its row); a key without a row is claimed in
  // the call's own unit: one write group, one COMMIT for claim, call and answer.
  // PostgreSQL, a call that carries the claim in its write: the same read first.
  const oneUnit = inOneUnit && claimsInOneUnit(db);
  const carried = !oneUnit && inItsWrite && claimsInItsWrite(db);
  let known: IdempotencyKeyRow | typeof unread = unread;
  if (oneUnit || carried) known = (await findIdempotencyKey(db, customerUid, key)) ?? unread;
  if (carried && known === unread) {
    const now = services.clock.now();
    const keyClaim: KeyClaimInWrite = {
      claim: {
        customerUid,
        key,
        requestHash: hash,
        now,
        lockedUntil: now + idempotencyLeaseMs,
        expiresAt: now + idempotencyWindowMs,
      },
      storedFor: (presented) => storedAnswer({ code: 0, message: '', value: presented as Tree }),
      committed: false,
    };
    try {
      const answer = await work(undefined, keyClaim);
      if (keyClaim.committed) return answer;
    } catch (error) {
      // Anything else is the call's failure: nothing of it or of the key was
      // written unless its statement committed, whose row then answers a retry.
      if (!(error instanceof KeyNotClaimed)) throw error;
    }
  }
  for (let attempt = 0; ; attempt++) {
    const now = services.clock.now();
    const claim = { customerUid, key, requestHash: hash, now, lockedUntil: now + idempotencyLeaseMs };
    let row: IdempotencyKeyRow | undefined;
    if (known !== unread) {
      row = known;
      known = unread;
    } else if (oneUnit) {
      const done = await claimedInOneUnit(db, { ...claim, expiresAt: now + idempotencyWindowMs }, async (trx) => {
        const answer = await work(trx);
        return { answer, stored: answer.code === GeneralCode.retryable ? undefined : storedAnswer(answer) };
      });
      if (done !== 'taken') return done.answer;
      // Another process claimed it meanwhile.
      row = await findIdempotencyKey(db, customerUid, key);
    } else {
      if (await insertIdempotencyClaim(db, { ...claim, expiresAt: now + idempotencyWindowMs })) {
        return runClaimed(services, customerUid, key, work);
      }
      row = await findIdempotencyKey(db, customerUid, key);
    }
    if (!row) continue; // released or swept between the insert and the read
    if (row.expires_at <= now) {
      await deleteExpiredIdempotencyKey(db, customerUid, key, now);
      continue;
    }
    if (row.request_hash !== hash) {
      throw new ParameterError('this idempotency key was already used with different parameters; use a new key');
    }
    if (row.state === 'done') return { code: row.code ?? 0, message: row.message, value: parseStoredTree(row.value) };
    if (
      row.locked_until <= now &&
      (await takeOverIdempotencyClaim(db, customerUid, key, row.locked_until, claim.lockedUntil))
    ) {
      return runClaimed(services, customerUid, key, work);
    }
    if (performance.now() - startedAt > idempotencyWaitMs) {
      throw new RetryableError('a call with this idempotency key is still running; retry it with the same key');
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, 5 * 2 ** attempt) * (0.5 + Math.random() / 2)));
    // SQLite polls by reading; a claim released meanwhile is claimed on the next turn of the loop.
    if (oneUnit) known = (await findIdempotencyKey(db, customerUid, key)) ?? unread;
  }
}

/**
 * The call an idempotency key guards. `unitDb`, when given, is the
 * transaction of the write unit that holds the key's claim (SQLite): the
 * call must run on it (its reads and its transactions), so that claim, call
 * and answer commit together. `keyClaim`, when given, is the key's claim for
 * the call's one write statement to carry (PostgreSQL).
 */
export type UnitWork = (unitDb?: Kysely<Database>, keyClaim?: KeyClaimInWrite) => Promise<Answer>;

/** An answer as its row keeps it. */
function storedAnswer(answer: Answer): { code: number; message: string; value: string | null } {
  return {
    code: answer.code,
    message: answer.message,
    value: answer.value === null ? null : JSON.stringify(encodeTree(answer.value)),
  };
}

async function runClaimed(services: Services, customerUid: string, key: string, work: UnitWork): Promise<Answer> {
  const db = services.store.db;
  let answer: Answer;
  try {
    answer = await work();
  } catch (error) {
    await releaseIdempotencyClaim(db, customerUid, key).catch(() => undefined);
    throw error;
  }
  if (answer.code === GeneralCode.retryable) {
    await releaseIdempotencyClaim(db, customerUid, key);
    return answer;
  }
  await completeIdempotencyKey(db, customerUid, key, storedAnswer(answer));
  return answer;
}

/** An ApiError as an answer (the envelope an error becomes). */
export function errorAnswer(error: ApiError): Answer {
  return { code: error.code, message: error.message, value: null };
}

// The tree keeps what JSON alone loses: which fields are lists and how XML
// names their items. A list is stored as [item, wrapped, items] — the tree
// has no plain arrays, so an array always means a list.
type Stored = string | number | boolean | null | { [field: string]: Stored } | [string, boolean, Stored[]];

/** A result tree as plain JSON (lists as `[item, wrapped, items]`). */
export type StoredTree = Stored;

/** `tree` as plain JSON data that `decodeTree` turns back into the same tree. */
export function encodeTree(tree: Tree): Stored {
  if (tree === null || typeof tree !== 'object') return tree;
  if (tree instanceof TreeList) return [tree.item, tree.wrapped, tree.items.map(encodeTree)];
  const out: { [field: string]: Stored } = {};
  // for-in, as the envelope walks a tree (plain objects: no inherited names), without
  // Object.entries' array of pairs: an idempotent answer is encoded once when stored.
  for (const field in tree) out[field] = encodeTree(tree[field]!);
  return out;
}

/** The tree `encodeTree` encoded. */
export function decodeTree(stored: Stored): Tree {
  if (stored === null || typeof stored !== 'object') return stored;
  if (Array.isArray(stored)) return new TreeList(stored[0], stored[2].map(decodeTree), stored[1]);
  const out: Record<string, Tree> = {};
  for (const field in stored) out[field] = decodeTree(stored[field]!);
  return out as TreeObject;
}

function parseStoredTree(value: string | null): Tree {
  return value === null ? null : decodeTree(JSON.parse(value) as Stored);
}
