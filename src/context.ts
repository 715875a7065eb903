/**
 * What every part of Baton is handed instead of reaching for globals: the
 * store, the clock, randomness and configuration (STYLE.md: side effects
 * behind adapters).
 */
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Metrics } from './operations/metrics.js';
import type { Random } from './random.js';
import type { Store } from './store/database.js';
import type { CustomerRow } from './store/customer.repository.js';
import type { ReadAhead } from './store/conference-view.repository.js';
import type { KeyClaimInWrite } from './store/idempotency.repository.js';

export interface Services {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: Random;
  readonly config: Config;
  /** Where counts go for /metrics; absent when metrics are off (nothing is counted). */
  readonly metrics?: Metrics;
}

/** An authenticated API call: the services and the tenant it acts for. */
export interface CallContext {
  readonly services: Services;
  readonly customer: CustomerRow;
  /**
   * PostgreSQL: the view the function declared it reads, read in the same
   * statement as the authentication (store/request-read.repository.ts).
   */
  readonly readAhead?: ReadAhead;
  /**
   * PostgreSQL: the Idempotency-Key's claim the call's one write carries
   * (KeyClaimInWrite); only for a function that declares
   * `claimsKeyInItsWrite`.
   */
  readonly keyClaim?: KeyClaimInWrite;
}
