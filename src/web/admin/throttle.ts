/**
 * The sign-in throttle: after `limit` failed sign-ins within a minute for one
 * account, or ten times as many from one address (an office behind one NAT
 * address shares it), further attempts wait out the minute. It is built on
 * the server's shared throttles (counted in the database on PostgreSQL, so
 * several processes together allow the limit once), and every use goes
 * through these two functions.
 */
import type { Services } from '../../context.js';
import { createThrottle } from '../../protocol/throttle.js';

/** Failed sign-ins allowed per minute per account (per address: ten times this). */
export const signInFailureLimit = 10;

export interface SignInThrottle {
  /** Seconds to wait before trying again, or 0. */
  retryAfter(address: string, email: string): Promise<number>;
  recordFailure(address: string, email: string): Promise<void>;
}

export function createSignInThrottle(services: Services, limit = signInFailureLimit): SignInThrottle {
  const byAddress = createThrottle(services, 'admin-sign-in-address', { limit: limit * 10, addresses: true });
  const byAccount = createThrottle(services, 'admin-sign-in-account', { limit });
  const account = (email: string) => email.trim().toLowerCase().slice(0, 254);
  return {
    async retryAfter(address, email) {
      const [a, b] = await Promise.all([byAddress.retryAfter(address), byAccount.retryAfter(account(email))]);
      return Math.max(a, b);
    },
    async recordFailure(address, email) {
      await byAddress.hit(address);
      if (email.trim() !== '') await byAccount.hit(account(email));
    },
  };
}
