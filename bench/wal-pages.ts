/**
 * Which B-tree pages a write group of addPerson calls writes to the WAL:
 * seeds the benchmark's 1,000-conference file, runs WARM calls (default
 * 20,000, so the persons and claims indexes have the size of a busy run),
 * then 20 groups of 16 with the WAL emptied first and no checkpoint, and
 * counts the WAL's frames by the table or index their page belongs to
 * (SQLite's dbstat). Each frame is a 4 kB pwrite in the COMMIT and a page
 * the checkpoint copies back.
 *
 *   node --import tsx bench/wal-pages.ts
 *
 * SQL="…" runs statements on the seeded file first (e.g. `drop index x`).
 */
import { readFileSync } from 'node:fs';
import { addPerson } from '../src/functions/add-person.js';
import { answerCall } from '../src/protocol/answer-call.js';
import { sqliteExecutorOf } from '../src/store/database.js';
import { addPersonSetup } from './add-person-setup.js';
const { file, store, services, customer, params } = await addPersonSetup('baton-wal-');
const sqlite = sqliteExecutorOf(store.db)!.sqlite;
if (process.env.SQL) sqlite.exec(process.env.SQL);
const turn = () => new Promise((resolve) => setImmediate(resolve));
const run = async (n: number, batch = 16) => {
  for (let d = 0; d < n; d += batch) {
    await Promise.all(Array.from({ length: batch }, () => answerCall({ services, customer }, addPerson, params)));
    await turn();
  }
};
await run(Number(process.env.WARM ?? 20000));
sqlite.pragma('wal_autocheckpoint = 0');
sqlite.pragma('wal_checkpoint(TRUNCATE)');
const groups = 20;
await run(16 * groups);
const wal = readFileSync(file + '-wal');
const pageSize = wal.readUInt32BE(8);
const pages: number[] = [];
for (let off = 32; off + 24 + pageSize <= wal.length; off += 24 + pageSize) pages.push(wal.readUInt32BE(off));
const names = new Map<number, string>();
for (const r of sqlite.prepare('select pageno, name, pagetype from dbstat').all() as {
  pageno: number;
  name: string;
  pagetype: string;
}[])
  names.set(r.pageno, `${r.name} ${r.pagetype}`);
const byName = new Map<string, number>();
for (const p of pages) {
  const n = names.get(p) ?? `page ${p > 1 ? 'other' : 1}`;
  byName.set(n, (byName.get(n) ?? 0) + 1);
}
console.log(`${(pages.length / groups).toFixed(1)} WAL frames per group of 16`);
for (const [n, c] of [...byName].sort((a, b) => b[1] - a[1])) console.log((c / groups).toFixed(1).padStart(6), n);
await store.close();
