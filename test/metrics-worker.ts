/**
 * A cluster worker for the metrics aggregation test: counts CALLS calls of
 * getCustomer in its own registry over DATABASE_URL, says "ready", and
 * answers the primary's scrape requests until it is disconnected.
 */
import { systemClock } from '../src/clock.js';
import { Metrics } from '../src/operations/metrics.js';
import { openStore } from '../src/store/database.js';

const store = openStore(process.env.DATABASE_URL!, { poolMax: 2 });
const metrics = new Metrics(store, systemClock);
for (let i = 0; i < Number(process.env.CALLS); i++) metrics.recordApiCall('getCustomer', 'json', 0, 0.002);
metrics.recordJobRun('mail-delivery', Number(process.env.JOB_AT));
process.send!('ready');
process.on('disconnect', () => void store.close());
