import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { migrate, openStore, sqliteExecutorOf, type Store } from './database.js';
import { fallbackPages, startWalCheckpointer } from './wal-checkpointer.js';

/** The database file's own size: only a checkpoint moves pages there from the WAL. */
const fileSize = (file: string) => statSync(file).size;

/**
 * About `pages` WAL pages of writes, each its own transaction (as the write
 * groups commit), from an empty WAL (the migrations wrote hundreds of pages
 * into it); the database file's size before them.
 */
function writePages(store: Store, pages: number, file: string): number {
  const sqlite = sqliteExecutorOf(store.db)!.sqlite;
  sqlite.exec('create table if not exists filler (n integer primary key, data blob not null)');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  const before = fileSize(file);
  const insert = sqlite.prepare('insert into filler (data) values (randomblob(3500))');
  for (let i = 0; i < pages; i++) insert.run();
  return before;
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

describe('WAL checkpoints in a thread', () => {
  let database: TestDatabase;
  let store: Store | undefined;

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await database.drop();
  });

  it('copies a writer’s commits into the database file while the writer itself only keeps a fallback', async () => {
    store = openStore(database.url, { checkpointInBackground: true });
    await migrate(store);
    const sqlite = sqliteExecutorOf(store.db)!.sqlite;
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(fallbackPages);
    // Fewer pages than SQLite's own automatic checkpoint (1,000) would wait for.
    const before = writePages(store, 300, database.url);
    expect(await waitFor(() => fileSize(database.url) > before + 250 * 4096, 10_000)).toBe(true);
    // Everything that was written is still there, and reads as written.
    expect(sqlite.prepare('select count(*) from filler').pluck().get()).toBe(300);
  });

  it('leaves the checkpoint to SQLite (inside a COMMIT, after 1,000 pages) when not asked for', async () => {
    store = openStore(database.url);
    await migrate(store);
    expect(sqliteExecutorOf(store.db)!.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    const before = writePages(store, 300, database.url);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(fileSize(database.url)).toBe(before);
  });

  it('reports each checkpoint, keeps going while another connection writes, and stops when asked', async () => {
    store = openStore(database.url);
    await migrate(store);
    const checkpointer = startWalCheckpointer(database.url, 20);
    writePages(store, 50, database.url);
    expect(await waitFor(() => (checkpointer.last?.done ?? 0) > 0, 10_000)).toBe(true);
    const report = checkpointer.last!;
    expect(report.busy).toBe(0);
    expect(report.done).toBeLessThanOrEqual(report.log);
    writePages(store, 50, database.url);
    expect(await waitFor(() => checkpointer.last!.checkpoints > report.checkpoints + 1, 10_000)).toBe(true);
    await checkpointer.stop();
    const stopped = checkpointer.last!.checkpoints;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(checkpointer.last!.checkpoints).toBe(stopped);
  });

  it('gives up quietly on a file that is not there: the writer’s fallback stays in charge', async () => {
    const checkpointer = startWalCheckpointer(`${database.url}.missing`, 20);
    await checkpointer.stop();
    expect(checkpointer.last).toBeUndefined();
  });
});
