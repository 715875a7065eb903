/**
 * What the write-path scripts (`write-path.ts`, `wal-pages.ts`) share: a
 * freshly seeded 1,000-conference SQLite file, the store opened on it as
 * the cluster's primary opens it, and one addPerson call's parsed
 * parameters for the seed's reservationless conference.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { Services } from '../src/context.js';
import { addPerson } from '../src/functions/add-person.js';
import { cryptoRandom } from '../src/random.js';
import { findCustomer } from '../src/store/customer.repository.js';
import { openStore, type StoreOptions } from '../src/store/database.js';
import { seedDatabase } from './seed.js';

export async function addPersonSetup(prefix: string, storeOptions?: StoreOptions) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const file = join(work, 'bench.db');
  const seeded = await seedDatabase(file, {
    conferences: 1_000,
    upcoming: 50,
    dataPersons: 10,
    smallPersons: 10,
    now: Date.now(),
  });
  const config = loadConfig({ DATABASE_URL: file, LOG_LEVEL: 'warn' });
  const store = openStore(file, storeOptions);
  const services: Services = { store, clock: systemClock, random: cryptoRandom, config };
  const customer = (await findCustomer(store.db, seeded.customer))!;
  const params = addPerson.params.parse({
    conference: seeded.openConference,
    role: 'PARTICIPANT',
    name: 'Bench Person',
    email: 'bench@example.com',
  });
  return { work, file, seeded, store, services, customer, params };
}
