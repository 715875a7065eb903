/**
 * Webhooks with two real server processes on one PostgreSQL database: 1,000
 * events made through both reach one endpoint each exactly once and in
 * sequence order, though either process may deliver any of them.
 * PostgreSQL only: SQLite is one process's database.
 */
import { Webhook as Verifier } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/database.js';
import { callFunction, startProcessPair, type ProcessPair, type ServerProcess } from './process.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

const postgres = process.env.BATON_TEST_PG_URL;

describe.skipIf(!postgres)(
  'webhooks from two server processes on one PostgreSQL database (skipped: needs BATON_TEST_PG_URL, see npm run test:pg)',
  () => {
    let pair: ProcessPair;
    let store: Store;
    let servers: ServerProcess[];
    let receiver: WebhookReceiver;
    let credentials: { customer: string; key: string };

    beforeAll(async () => {
      receiver = await startWebhookReceiver();
      pair = await startProcessPair(
        { WEBHOOK_ALLOW_PRIVATE: 'true', JOB_INTERVAL_SECONDS: '1' },
        { name: 'Hooks at scale', did: '+1 555 0177' },
      );
      ({ servers, store, credentials } = pair);
    }, 120_000);

    afterAll(async () => {
      await pair?.stop();
      await receiver?.stop();
    });

    const call = (i: number, fn: string, params: Record<string, string | number>) =>
      callFunction(servers[i % 2]!.url, fn, { ...credentials, ...params });

    it('delivers 1,000 events to one endpoint: every sequence number once, in order', async () => {
      const created = await call(0, 'createConferenceReservationless', { name: 'Hooked' });
      const conference = created.value.UID as string;
      const added = await call(1, 'addWebhook', { url: receiver.url, eventTypes: 'person.registered' });
      expect(added.code).toBe(0);
      const secret = added.value.secret as string;

      // 1,000 registrations through both processes, 50 at a time.
      for (let batch = 0; batch < 20; batch++) {
        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            call(j, 'addPerson', { conference, role: 'PARTICIPANT', name: `P${batch * 50 + j}` }),
          ),
        );
        expect(answers.filter((a) => a.code !== 0)).toEqual([]);
      }
      const events = await store.db
        .selectFrom('events')
        .select('sequence')
        .where('customer_uid', '=', credentials.customer)
        .where('type', '=', 'person.registered')
        .orderBy('sequence')
        .execute();
      const expected = events.map((e) => Number(e.sequence));
      expect(expected).toHaveLength(1000);

      const deadline = Date.now() + 180_000;
      while (receiver.deliveries.length < 1000 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // A little longer: a duplicate would arrive now.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const received = receiver.deliveries.map((d) => d.event.sequence);
      expect(received).toEqual(expected);
      const verifier = new Verifier(secret);
      for (const d of receiver.deliveries) verifier.verify(d.body, d.headers as Record<string, string>);
      const endpoint = await call(0, 'getWebhooks', {});
      expect(endpoint.value.webhook[0]).toMatchObject({ deliveredSequence: expected.at(-1), failedAttempts: 0 });
    }, 300_000);
  },
);
