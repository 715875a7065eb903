/**
 * PIN admission: a media server reports the number dialled (DID), the digits
 * entered (PIN) and the caller's number (ANI); Baton answers whether the
 * caller may join and with which flags. A PIN names exactly one person on its
 * DID (DESIGN.md "PINs"). Wrong PINs are throttled per ANI and per DID, so
 * guessing PINs costs time from any one phone and on any one number.
 */
import type { Services } from '../context.js';
import { joinCall, type JoinRefusal } from '../domain/calls.js';
import { didDigits } from '../domain/customers.js';
import { ParameterError } from '../errors.js';
import { createThrottle, type Throttle } from '../protocol/throttle.js';
import { findCustomer, listCustomerDids } from '../store/customer.repository.js';
import { findPinHolder } from '../store/person.repository.js';

/** Why a caller was not admitted. */
export type AdmitReason = 'unknown-pin' | 'throttled' | 'customer-suspended' | JoinRefusal;

export interface AdmitRequest {
  did: string;
  pin: string;
  ani: string;
  /** The media server's name, recorded on a new call. */
  server?: string;
  /** The room's name on the media server; default the conference UID. */
  serverConferenceUID?: string;
}

export interface Admitted {
  admitted: true;
  conferenceUID: string;
  callUID: string;
  callerUID: string;
  personUID: string;
  name: string;
  role: string;
  mic: boolean;
  mute: boolean;
  deaf: boolean;
  greenroom: boolean;
  backgroundMusic: boolean;
  /** True when this caller started the call. */
  newCall: boolean;
}

export interface Refused {
  admitted: false;
  reason: AdmitReason;
  message: string;
  /** Seconds until a throttled ANI or DID may try again. */
  retryAfter?: number;
}

export type Admission = Admitted | Refused;

/** How long wrong PINs are remembered per ANI and per DID. */
export const pinFailureWindowMs = 15 * 60_000;

const messages: Record<AdmitReason, string> = {
  'unknown-pin': 'no conference on this number has that PIN',
  throttled: 'too many wrong PINs; try again later',
  'customer-suspended': 'the account that owns this conference is not active',
  'conference-canceled': 'the conference was canceled',
  'conference-not-open': 'the conference has not started yet',
  'conference-closed': 'the conference is over',
};

const refuse = (reason: AdmitReason, retryAfter?: number): Refused =>
  retryAfter === undefined
    ? { admitted: false, reason, message: messages[reason] }
    : { admitted: false, reason, message: messages[reason], retryAfter };

/**
 * The stored DIDs that a dialled number names (punctuation, spaces and `+`
 * ignored). A number without digits (an empty DNIS, a SIP name) names none:
 * else it would name the empty DID of every customer without a dial-in
 * number, whose conferences no phone can reach.
 */
export async function resolveDids(services: Services, dialled: string): Promise<string[]> {
  const wanted = didDigits(dialled);
  if (wanted === '') return [];
  return (await listCustomerDids(services.store.db)).filter((did) => didDigits(did) === wanted);
}

/** Admits callers by PIN; one per application, since it holds the throttles (shared on PostgreSQL). */
export class PinAdmission {
  private readonly byAni: Throttle;
  private readonly byDid: Throttle;

  constructor(private readonly services: Services) {
    const { bridgePinFailuresPerAni, bridgePinFailuresPerDid } = services.config;
    this.byAni = createThrottle(services, 'pin-ani', { limit: bridgePinFailuresPerAni, windowMs: pinFailureWindowMs });
    this.byDid = createThrottle(services, 'pin-did', { limit: bridgePinFailuresPerDid, windowMs: pinFailureWindowMs });
  }

  async admit(request: AdmitRequest): Promise<Admission> {
    // The caller's number by its digits, as the dialled one is: written another way (+1 212 555 0001,
    // 12125550001, 1-212-555-0001) it is the same phone, not ten more guesses. No digit: one "anonymous".
    const aniKey = didDigits(request.ani) || 'anonymous';
    const didKey = didDigits(request.did);
    // A throttled phone or number is refused even with a right PIN, or guessing would go on.
    const [aniWait, didWait] = await Promise.all([this.byAni.retryAfter(aniKey), this.byDid.retryAfter(didKey)]);
    const wait = Math.max(aniWait, didWait);
    if (wait > 0) {
      this.services.metrics?.recordThrottleRefusal(aniWait > 0 ? 'bridge-pin-ani' : 'bridge-pin-did');
      return refuse('throttled', wait);
    }

    const holder = /^\d{6}$/.test(request.pin) ? await this.findHolder(request) : undefined;
    if (!holder) {
      await Promise.all([this.byAni.hit(aniKey), this.byDid.hit(didKey)]);
      return refuse('unknown-pin');
    }

    const customer = await findCustomer(this.services.store.db, holder.customer_uid);
    if (!customer) return refuse('unknown-pin');
    if (customer.status !== 'ACTIVE') return refuse('customer-suspended');

    let joined;
    try {
      joined = await joinCall(
        { services: this.services, customer },
        {
          conferenceUid: holder.conference_uid,
          personUid: holder.person_uid,
          ani: request.ani,
          pin: request.pin,
          server: request.server,
          serverConferenceUid: request.serverConferenceUID,
        },
      );
    } catch (error) {
      // The person or conference went away between the PIN lookup and the join.
      if (error instanceof ParameterError) return refuse('unknown-pin');
      throw error;
    }
    if (!joined.joined) return refuse(joined.reason);
    const { call, caller, conference, created } = joined;
    return {
      admitted: true,
      conferenceUID: conference.uid,
      callUID: call.uid,
      callerUID: caller.uid,
      personUID: caller.person_uid ?? '',
      name: caller.name,
      role: caller.role,
      mic: caller.mic !== 0,
      mute: caller.mute !== 0,
      deaf: caller.deaf !== 0,
      greenroom: call.greenroom !== 0,
      backgroundMusic: call.background_music !== 0,
      newCall: created,
    };
  }

  private async findHolder(request: AdmitRequest) {
    for (const did of await resolveDids(this.services, request.did)) {
      const holder = await findPinHolder(this.services.store.db, did, request.pin);
      if (holder) return holder;
    }
    return undefined;
  }
}
