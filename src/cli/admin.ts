/**
 * Administration commands that work on the database directly (the operator's
 * side): customers, keys, migrations. They read DATABASE_URL like the server.
 */
import type { Command } from 'commander';
import type { Services } from '../context.js';
import { terminalSafe, terminalSafeJson } from './output.js';

/** What the database commands use, loaded on demand so that the API commands start without it. */
async function loadAdminModules() {
  const [clock, config, random, database, customers, repository] = await Promise.all([
    import('../clock.js'),
    import('../config.js'),
    import('../random.js'),
    import('../store/database.js'),
    import('../domain/customers.js'),
    import('../store/customer.repository.js'),
  ]);
  return { ...clock, ...config, ...random, ...database, ...customers, ...repository };
}
type AdminModules = Awaited<ReturnType<typeof loadAdminModules>>;

/** Opens the configured database, migrated, runs `work`, and closes it. */
export async function withServices<T>(work: (services: Services, admin: AdminModules) => Promise<T>): Promise<T> {
  const admin = await loadAdminModules();
  const config = admin.loadConfig();
  const store = admin.openStore(config.databaseUrl, { ...admin.storeOptions(config), poolMax: 2 });
  try {
    await admin.migrate(store);
    return await work({ store, clock: admin.systemClock, random: admin.cryptoRandom, config }, admin);
  } finally {
    await store.close();
  }
}

function print(json: boolean, value: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${terminalSafeJson(value)}\n` : `${terminalSafe(text)}\n`);
}

export function registerAdminCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      await withServices(async () => undefined);
      process.stdout.write('migrations applied\n');
    });

  const customer = program.command('customer').description('create and manage customers');
  customer
    .command('create')
    .description('create a customer and print its UID and a new API key')
    .requiredOption('--name <name>', 'customer name')
    .option('--did <number>', 'inbound (dial-in) number of the customer')
    .option('--time-zone <zone>', 'IANA time zone for DateTime input and output, e.g. America/New_York')
    .option('--json', 'print {"customer":…,"key":…}')
    .action(async (opts: { name: string; did?: string; timeZone?: string; json?: boolean }) => {
      const { customer: row, key } = await withServices((s, m) =>
        m.createCustomer(s, { name: opts.name, did: opts.did, timeZone: opts.timeZone }),
      );
      print(
        Boolean(opts.json),
        { customer: row.uid, key },
        `customer: ${row.uid}\nkey:      ${key}\n(the key is shown only this once)`,
      );
    });
  customer
    .command('list')
    .description('list customers')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withServices((s, m) => m.listCustomers(s.store.db));
      if (opts.json) {
        process.stdout.write(
          `${terminalSafeJson(rows.map((r) => ({ customer: r.uid, name: r.name, status: r.status, did: r.did, timeZone: r.time_zone })))}\n`,
        );
        return;
      }
      for (const r of rows)
        process.stdout.write(`${r.uid}  ${r.status.padEnd(7)}  ${r.time_zone.padEnd(20)}  ${terminalSafe(r.name)}\n`);
    });
  for (const [command, status, verb] of [
    ['suspend', 'SUSPEND', 'suspended'],
    ['activate', 'ACTIVE', 'activated'],
  ] as const) {
    customer
      .command(`${command} <customer>`)
      .description(`${command} a customer (a suspended customer's calls get code -1)`)
      .action(async (uid: string) => {
        await withServices((s, m) => m.setCustomerStatus(s, uid, status));
        process.stdout.write(`${uid} ${verb}\n`);
      });
  }

  const key = program.command('key').description('create and revoke API keys');
  key
    .command('create <customer>')
    .description('add an API key to a customer (for rotation) and print it')
    .option('--json', 'print {"customer":…,"key":…}')
    .action(async (uid: string, opts: { json?: boolean }) => {
      const newKey = await withServices((s, m) => m.createKey(s, uid));
      print(Boolean(opts.json), { customer: uid, key: newKey }, `key: ${newKey}\n(the key is shown only this once)`);
    });
  key
    .command('revoke <customer> <key>')
    .description('revoke one API key of a customer')
    .action(async (uid: string, oldKey: string) => {
      const revoked = await withServices((s, m) => m.revokeKey(s, uid, oldKey));
      if (!revoked) {
        process.stderr.write('baton: no live key of that customer matches\n');
        process.exitCode = 1;
        return;
      }
      process.stdout.write('key revoked\n');
    });
}
