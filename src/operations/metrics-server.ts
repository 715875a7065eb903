/**
 * METRICS_PORT: /metrics on a port of its own (loopback by default), so the
 * scrape never shares the public port. METRICS_TOKEN, when also set, is
 * required there too.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { answerMetrics } from './http.js';
import type { MetricsSource } from './metrics.js';

/** A listening metrics port. */
export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Builds the metrics application (it never listens: see startMetricsServer). */
export function buildMetricsApp(metrics: MetricsSource, token: string | null): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (request, reply) => answerMetrics(metrics, token, request.headers.authorization, reply));
  return app;
}

/**
 * Listens on METRICS_HOST:METRICS_PORT. With several worker processes, the
 * primary calls this with a ClusterMetrics, so one scrape answers for all.
 */
export async function startMetricsServer(config: Config, metrics: MetricsSource): Promise<MetricsServer> {
  const app = buildMetricsApp(metrics, config.metricsToken);
  const url = await app.listen({ port: config.metricsPort ?? 0, host: config.metricsHost });
  return { url, close: () => app.close() };
}

/** Whether the configuration turns metrics on: a metrics port, or a token for /metrics on the API port. */
export function metricsEnabled(config: Config): boolean {
  return config.metricsPort !== null || config.metricsToken !== null;
}
