/**
 * The sign-in throttle. Failures are counted so that an attacker can neither
 * guess a password quickly nor keep its owner out:
 *
 * - per account AND address: `limit` failures a minute, then that address
 *   waits out the minute for that account (only the guesser is held back);
 * - per address: ten times as many over all accounts (an office behind one
 *   NAT address shares it);
 * - per account from anywhere: `limit` × 5 failures in 15 minutes, a slower
 *   limit on guessing from many addresses at once. It holds back only
 *   browsers that are not known to the account.
 *
 * A known browser (one that signed in to the account before, or set its
 * password from an emailed link: a device cookie, see isKnownDevice) is
 * counted apart: `limit` failures a minute of its own, and nothing failed
 * elsewhere holds it back. So the account's owner, on their own browser,
 * signs in while someone else hammers the account.
 *
 * It is built on the server's shared throttles (counted in the database on
 * PostgreSQL, so several processes together allow the limit once), and every
 * use goes through these two functions.
 */
import type { Services } from '../../context.js';
import { addressThrottleKey } from '../../domain/ip-address.js';
import { createThrottle } from '../../protocol/throttle.js';

/** Failed sign-ins allowed per minute per account and address (per address: ten times this). */
export const signInFailureLimit = 10;
/** The window of the per-account limit on browsers not known to the account. */
export const accountWindowMs = 15 * 60_000;

/** One sign-in attempt: where from, which account, and the browser's device token when it is valid. */
export interface SignInAttempt {
  address: string;
  email: string;
  /** A device token isKnownDevice accepted for `email`, or undefined. */
  knownDevice?: string;
}

export interface SignInThrottle {
  /** Seconds to wait before trying again, or 0. */
  retryAfter(attempt: SignInAttempt): Promise<number>;
  recordFailure(attempt: SignInAttempt): Promise<void>;
}

export function createSignInThrottle(services: Services, limit = signInFailureLimit): SignInThrottle {
  const byAddress = createThrottle(services, 'admin-sign-in-address', { limit: limit * 10, addresses: true });
  const byAccountAddress = createThrottle(services, 'admin-sign-in-account-address', { limit });
  const byAccount = createThrottle(services, 'admin-sign-in-account', { limit: limit * 5, windowMs: accountWindowMs });
  const byDevice = createThrottle(services, 'admin-sign-in-device', { limit });
  const account = (email: string) => email.trim().toLowerCase().slice(0, 254);
  // The key names the account and the address's network (an IPv6 /64 counts as one).
  const pair = (attempt: SignInAttempt) => `${addressThrottleKey(attempt.address)} ${account(attempt.email)}`;
  // A device token is `issuedAt.signature`; the signature names the browser.
  const device = (attempt: SignInAttempt, token: string) => `${token.slice(-32)} ${account(attempt.email)}`;
  return {
    async retryAfter(attempt) {
      if (attempt.knownDevice) return byDevice.retryAfter(device(attempt, attempt.knownDevice));
      const waits = await Promise.all([
        byAddress.retryAfter(attempt.address),
        byAccountAddress.retryAfter(pair(attempt)),
        byAccount.retryAfter(account(attempt.email)),
      ]);
      return Math.max(...waits);
    },
    async recordFailure(attempt) {
      if (attempt.knownDevice) return byDevice.hit(device(attempt, attempt.knownDevice));
      await byAddress.hit(attempt.address);
      if (attempt.email.trim() === '') return;
      await byAccountAddress.hit(pair(attempt));
      await byAccount.hit(account(attempt.email));
    },
  };
}
