/**
 * `baton serve`: opens the database, migrates, makes sure there is a customer
 * to call the API with, listens, and shuts down gracefully on SIGINT/SIGTERM
 * (in-flight requests finish; the database closes last).
 */
import { buildApp } from './app.js';
import { systemClock } from './clock.js';
import { loadConfig, type Config } from './config.js';
import type { Services } from './context.js';
import { createCustomer } from './domain/customers.js';
import { cryptoRandom } from './random.js';
import { countCustomers } from './store/customer.repository.js';
import { migrate, openStore } from './store/database.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Starts a server; `config` defaults to the environment's. */
export async function serve(config: Config = loadConfig()): Promise<RunningServer> {
  const store = openStore(config.databaseUrl, { poolMax: config.dbPoolMax });
  const services: Services = { store, clock: systemClock, random: cryptoRandom, config };
  if (config.migrateOnStart) await migrate(store);
  await ensureFirstCustomer(services);

  const app = await buildApp(services);
  const url = await app.listen({ port: config.port, host: config.host });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close();
      await store.close();
    })());
  return { url, close };
}

/**
 * On first start with an empty database, creates one customer and prints its
 * UID and key once, so a newcomer can call the API at once.
 */
async function ensureFirstCustomer(services: Services): Promise<void> {
  if ((await countCustomers(services.store.db)) > 0) return;
  const { customer, key } = await createCustomer(services, { name: 'First customer' });
  process.stdout.write(
    [
      '',
      'Created the first customer. Keep the key: it is shown only this once.',
      `  customer: ${customer.uid}`,
      `  key:      ${key}`,
      '',
      '',
    ].join('\n'),
  );
}

/** Runs `serve` until SIGINT or SIGTERM. */
export async function runUntilSignalled(config?: Config): Promise<void> {
  const server = await serve(config);
  process.stdout.write(`Baton listening on ${server.url}\n`);
  const stop = (signal: string) => {
    process.stderr.write(`${signal}: finishing in-flight requests…\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
