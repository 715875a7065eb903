/**
 * Dial-in PINs (DESIGN.md): 6 random digits, unique among the persons of all
 * live conferences on the same DID, so a dial-in PIN names exactly one person.
 * The unique key of pin_claims makes allocation collision-safe under any
 * concurrency; a PIN held by a conference that is over (canceled, or closed)
 * is taken over with a compare-and-swap.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { RetryableError } from '../errors.js';
import type { Random } from '../random.js';
import { claimPin, findPinHolder, takeOverPin } from '../store/person.repository.js';
import type { Database } from '../store/schema.js';
import { holdsPins } from './status.js';

/** How many random draws before giving up; with a pool of 10^6 this only fails on a nearly full DID. */
const attempts = 64;

/** Allocates a free PIN on `did` for a new person, inside the caller's transaction. */
export async function allocatePin(
  db: Kysely<Database>,
  deps: { random: Random; clock: Clock },
  claim: { did: string; person_uid: string; conference_uid: string },
): Promise<string> {
  for (let i = 0; i < attempts; i++) {
    const pin = deps.random.pin();
    if (await tryClaimPin(db, deps, { ...claim, pin })) return pin;
  }
  throw new RetryableError('no free PIN could be found on this dial-in number; retry the call');
}

/**
 * Claims one particular PIN: free, or held by a conference that is over.
 * False when a live conference holds it.
 */
export async function tryClaimPin(
  db: Kysely<Database>,
  deps: { clock: Clock },
  claim: { did: string; pin: string; person_uid: string; conference_uid: string },
): Promise<boolean> {
  if (await claimPin(db, claim)) return true;
  const holder = await findPinHolder(db, claim.did, claim.pin);
  if (holder && !holdsPins(holder, deps.clock.now())) return takeOverPin(db, claim, holder.person_uid);
  return false;
}
