/**
 * Test helpers for the telephony bridge: a client that speaks /bridge/v1 over
 * real HTTP, and a factory for conferences with reservations at given times.
 */
import { newConferenceRow } from '../src/domain/conferences.js';
import { findCustomer } from '../src/store/customer.repository.js';
import { insertConference } from '../src/store/conference.repository.js';
import { insertReservations } from '../src/store/reservation.repository.js';
import type { TestServer } from './harness.js';

/** The bridge token test servers are started with. */
export const testBridgeToken = 'test-bridge-token-0123456789abcdef';

export interface BridgeAnswer<V = any> {
  status: number;
  body: V;
}

export interface BridgeClient {
  post<V = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<BridgeAnswer<V>>;
  admit(did: string, pin: string, ani?: string): Promise<any>;
  leave(callerUID: string): Promise<BridgeAnswer>;
  update(callerUID: string, changes: Record<string, unknown>): Promise<BridgeAnswer>;
  end(callUID: string): Promise<BridgeAnswer>;
}

/** A client for `server`'s bridge, authenticated with `token` (default the test token). */
export function bridgeClient(server: TestServer, token: string | null = testBridgeToken): BridgeClient {
  async function post(path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}/bridge/v1${path}`, {
      method: 'POST',
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as any };
  }
  return {
    post,
    async admit(did, pin, ani = '+15551230000') {
      const answer = await post('/admit', { did, pin, ani });
      if (answer.status !== 200) throw new Error(`admit: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
    leave: (callerUID) => post(`/callers/${callerUID}/leave`),
    update: (callerUID, changes) => post(`/callers/${callerUID}/update`, changes),
    end: (callUID) => post(`/calls/${callUID}/end`),
  };
}

/** Registers a person over the API; returns its UID and PIN. */
export async function registerPerson(
  server: TestServer,
  conference: string,
  params: Record<string, string> = {},
): Promise<{ UID: string; PIN: string }> {
  const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT', ...params });
  if (answer.code !== 0) throw new Error(`addPerson failed: ${answer.message}`);
  return answer.value;
}

/**
 * A reserved conference of the server's customer with one reservation from
 * `startAt` to `endAt`, written through the store (the reservation functions
 * live on another branch of the work).
 */
export async function createReservedConference(server: TestServer, startAt: number, endAt: number): Promise<string> {
  const customer = (await findCustomer(server.services.store.db, server.credentials.customer))!;
  const ctx = { services: server.services, customer };
  const row = { ...newConferenceRow(ctx, { name: 'Reserved conference' }, true), last_end: endAt };
  await server.services.store.db.transaction().execute(async (trx) => {
    await insertConference(trx, row);
    await insertReservations(trx, [
      {
        uid: server.services.random.uid(),
        conference_uid: row.uid,
        customer_uid: customer.uid,
        start_at: startAt,
        end_at: endAt,
        duration: Math.ceil((endAt - startAt) / 60_000),
        estimated_callers: null,
        created_at: server.clock.now(),
      },
    ]);
  });
  return row.uid;
}
