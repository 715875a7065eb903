/**
 * The sign-in throttle: after `limit` failed sign-ins within a minute for one
 * account, or ten times as many from one address (an office behind one NAT
 * address shares it), further attempts wait out the minute.
 * Every use goes through these two functions, so the counter behind them
 * (today the in-process FailureThrottle) can change in one place.
 */
import { FailureThrottle } from '../../protocol/throttle.js';

/** Failed sign-ins allowed per minute per account (per address: ten times this). */
export const signInFailureLimit = 10;

export interface SignInThrottle {
  /** Seconds to wait before trying again, or 0. */
  retryAfter(address: string, email: string): number;
  recordFailure(address: string, email: string): void;
}

export function createSignInThrottle(now: () => number, limit = signInFailureLimit): SignInThrottle {
  const byAddress = new FailureThrottle(limit * 10, now);
  const byAccount = new FailureThrottle(limit, now);
  const account = (email: string) => email.trim().toLowerCase().slice(0, 254);
  return {
    retryAfter: (address, email) => Math.max(byAddress.retryAfter(address), byAccount.retryAfter(account(email))),
    recordFailure(address, email) {
      byAddress.recordFailure(address);
      if (email.trim() !== '') byAccount.recordFailure(account(email));
    },
  };
}
