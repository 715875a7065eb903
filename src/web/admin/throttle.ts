/**
 * The sign-in throttle: after `limit` failed sign-ins within a minute from
 * one address, or for one account, further attempts wait out the minute.
 * Every use goes through these two functions, so the counter behind them
 * (today the in-process FailureThrottle) can change in one place.
 */
import { FailureThrottle } from '../../protocol/throttle.js';

/** Failed sign-ins allowed per minute per address and per account. */
export const signInFailureLimit = 10;

export interface SignInThrottle {
  /** Seconds to wait before trying again, or 0. */
  retryAfter(address: string, email: string): number;
  recordFailure(address: string, email: string): void;
}

export function createSignInThrottle(now: () => number, limit = signInFailureLimit): SignInThrottle {
  const byAddress = new FailureThrottle(limit, now);
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
