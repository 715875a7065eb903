/**
 * Test helpers for the telephony bridge: a client that speaks /bridge/v1 over
 * real HTTP, and registration of persons.
 */
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
