/**
 * verifyWebhook against the standardwebhooks package's own signatures: the
 * SDK's dependency-free check accepts what Baton signs and refuses the rest.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from './webhooks.js';

const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const body = JSON.stringify({
  type: 'person.registered',
  timestamp: '2026-01-15T17:00:00.000Z',
  sequence: 7,
  id: 'evt_ABC',
  data: { person: { UID: 'P1' }, source: 'api' },
});
const at = new Date('2026-01-15T17:00:05Z');

function signed(overrides: Record<string, string> = {}) {
  const signature = new Webhook(secret).sign('evt_ABC', at, body);
  return {
    'webhook-id': 'evt_ABC',
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
    ...overrides,
  };
}

describe('verifyWebhook', () => {
  it('accepts a delivery signed with the secret and returns its event', async () => {
    const event = await verifyWebhook(secret, body, signed(), { now: at });
    expect(event).toMatchObject({ type: 'person.registered', sequence: 7, data: { source: 'api' } });
  });

  it('reads Fetch Headers and any header case, and any of several signatures', async () => {
    const headers = new Headers(signed({ 'webhook-signature': `v1,bm90IGl0 ${signed()['webhook-signature']}` }));
    await expect(verifyWebhook(secret, body, headers, { now: at })).resolves.toMatchObject({ id: 'evt_ABC' });
    const upper = Object.fromEntries(Object.entries(signed()).map(([k, v]) => [k.toUpperCase(), v]));
    await expect(verifyWebhook(secret, body, upper, { now: at })).resolves.toMatchObject({ sequence: 7 });
  });

  it.each([
    ['a changed body', body.replace('P1', 'P2'), signed(), 'no matching signature'],
    [
      'another secret',
      body,
      signed({
        'webhook-signature': new Webhook(`whsec_${Buffer.from('x'.repeat(32)).toString('base64')}`).sign(
          'evt_ABC',
          at,
          body,
        ),
      }),
      'no matching signature',
    ],
    ['a changed id', body, signed({ 'webhook-id': 'evt_OTHER' }), 'no matching signature'],
    [
      'a missing signature',
      body,
      { 'webhook-id': 'evt_ABC', 'webhook-timestamp': '1768496405' },
      'missing webhook-signature',
    ],
    ['a timestamp that is not a number', body, signed({ 'webhook-timestamp': 'soon' }), 'not a number'],
  ])('refuses %s', async (_what, payload, headers, message) => {
    const error = await verifyWebhook(secret, payload, headers, { now: at }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect((error as Error).message).toContain(message);
  });

  it('refuses a delivery older or newer than the tolerance (replayed or forged late)', async () => {
    const late = new Date(at.getTime() + 301_000);
    await expect(verifyWebhook(secret, body, signed(), { now: late })).rejects.toThrow('too old or too new');
    await expect(verifyWebhook(secret, body, signed(), { now: late, toleranceSeconds: 600 })).resolves.toBeTruthy();
  });
});
