/**
 * The bridge acts for the whole server, not for one customer: these helpers
 * find the tenant an object belongs to, so the domain can work scoped to it.
 */
import type { CallContext, Services } from '../context.js';
import { leaveCall } from '../domain/calls.js';
import { findCallerTenant } from '../store/call.repository.js';
import { findCustomer } from '../store/customer.repository.js';

/** What a call or caller UID in a bridge path may look like. */
export const uidPattern = /^[A-Z0-9]{1,64}$/i;

/** An answer the bridge sends as `{"error": message}` with an HTTP status. */
export class BridgeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The tenant an object of the bridge belongs to (the bridge itself acts for the whole server). */
export async function tenantContext(services: Services, customerUid: string): Promise<CallContext> {
  const customer = await findCustomer(services.store.db, customerUid);
  if (!customer) throw new BridgeError(404, 'unknown customer');
  return { services, customer };
}

/** Leaves a caller by UID for the bridge; undefined when there is no such caller. */
export async function leaveCallerByUid(services: Services, callerUid: string) {
  if (!uidPattern.test(callerUid)) return undefined;
  const tenant = await findCallerTenant(services.store.db, callerUid);
  if (!tenant) return undefined;
  return leaveCall(await tenantContext(services, tenant.customer_uid), callerUid);
}
