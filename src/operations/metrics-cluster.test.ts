/**
 * With several worker processes (node:cluster), one scrape of the primary's
 * metrics port shows the whole machine: counters summed over the workers, the
 * database's figures once (not once per worker), job times the latest.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { enqueueMail } from '../mail/queue.js';
import type { MailMessage } from '../mail/message.js';
import { cryptoRandom } from '../random.js';
import { migrate, openStore } from '../store/database.js';
import { ClusterMetrics } from './metrics.js';
import { startMetricsServer } from './metrics-server.js';

describe('metrics of a cluster', () => {
  const workers: Worker[] = [];
  let database: TestDatabase;
  afterAll(async () => {
    for (const w of workers) w.kill();
    await database?.drop();
  });

  it('one scrape of the primary sums the workers and shows the database once', async () => {
    database = await createTestDatabase();
    const store = openStore(database.url, { poolMax: 1 });
    await migrate(store);
    const services = { clock: systemClock, random: cryptoRandom };
    const message = { to: 'a@example.com', subject: 'Hi', text: 'Hi' } as MailMessage;
    await enqueueMail(store.db, services, { customerUid: 'C', kind: 'confirmation', message });
    await store.close();

    cluster.setupPrimary({
      exec: fileURLToPath(new URL('../../test/metrics-worker.ts', import.meta.url)),
      execArgv: ['--import', 'tsx'],
    });
    const ready = [3, 4].map((calls, i) => {
      const worker = cluster.fork({ DATABASE_URL: database.url, CALLS: String(calls), JOB_AT: String(1000 * (i + 1)) });
      workers.push(worker);
      return new Promise<void>((resolve) => worker.once('message', () => resolve()));
    });
    await Promise.all(ready);

    const config = loadConfig({ METRICS_PORT: '0' });
    const server = await startMetricsServer(config, new ClusterMetrics());
    try {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain('baton_api_requests_total{function="getCustomer",format="json",code="0"} 7');
      expect(text).toContain('baton_api_request_duration_seconds_count{function="getCustomer"} 7');
      expect(text).toContain('baton_mail_queue_messages{state="queued"} 1');
      expect(text).toContain('baton_database_up 1');
      expect(text).toContain('baton_job_last_run_timestamp_seconds{job="mail-delivery"} 2');
    } finally {
      await server.close();
    }
  }, 60_000);
});
