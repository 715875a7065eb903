/** API keys as an owner manages them on the site: listed by prefix, revoked by listing id. */
import type { Services } from '../context.js';
import { ParameterError } from '../errors.js';
import { listApiKeys, revokeApiKeys, type ApiKeyListing } from '../store/customer.repository.js';

export type { ApiKeyListing };

/** Every key of the customer, live and revoked (prefixes only: keys themselves are never stored). */
export function listKeys(services: Services, customerUid: string): Promise<ApiKeyListing[]> {
  return listApiKeys(services.store.db, customerUid);
}

/** Revokes the customer's live key with listing id `id`; a -2 when there is none. */
export async function revokeKeyById(services: Services, customerUid: string, id: number): Promise<void> {
  const n = await revokeApiKeys(services.store.db, customerUid, { id }, services.clock.now());
  if (n === 0) throw new ParameterError(`no live API key ${id}`);
}
