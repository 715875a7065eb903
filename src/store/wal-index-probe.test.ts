/**
 * The WAL-index probe: `data_version` without a read transaction while the
 * `-shm` header has not moved, and read again after every kind of commit by
 * another connection (a plain commit, a checkpoint that restarts the WAL,
 * one of many connections closing, another process).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WalIndexProbe } from './wal-index-probe.js';

describe('WalIndexProbe', () => {
  let dir: string;
  let file: string;
  let mine: SqliteDatabase.Database;
  let other: SqliteDatabase.Database;
  let probe: WalIndexProbe;
  let reads: number;
  let pragma: () => number;
  const version = () => probe.dataVersion(pragma, mine.inTransaction);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-wal-probe-'));
    file = join(dir, 'probe.sqlite');
    other = new SqliteDatabase(file);
    other.pragma('journal_mode = WAL');
    other.exec('create table t (x)');
    mine = new SqliteDatabase(file);
    const statement = mine.prepare('PRAGMA data_version').pluck();
    reads = 0;
    pragma = () => {
      reads++;
      return statement.get() as number;
    };
    pragma();
    probe = WalIndexProbe.open(file)!;
    expect(probe).toBeDefined();
    reads = 0;
  });
  afterEach(() => {
    probe.close();
    mine.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers data_version without reading it while nothing was committed', () => {
    const first = version();
    expect(reads).toBe(1);
    for (let i = 0; i < 5; i++) expect(version()).toBe(first);
    expect(reads).toBe(1);
    // Reading on this connection commits nothing: still no read.
    mine.prepare('select count(*) from t').get();
    expect(version()).toBe(first);
    expect(reads).toBe(1);
  });

  it("reads it again after each of another connection's commits, and agrees with it", () => {
    let last = version();
    for (let i = 0; i < 20; i++) {
      other.prepare('insert into t values (?)').run(i);
      const next = version();
      expect(next).not.toBe(last);
      expect(next).toBe(pragma());
      last = next;
    }
    expect(reads).toBe(1 + 20 * 2);
  });

  it('sees a commit after a checkpoint restarted the WAL, and one after another connection closed', () => {
    const start = version();
    other.prepare('insert into t values (1)').run();
    other.pragma('wal_checkpoint(TRUNCATE)');
    const afterCheckpoint = version();
    expect(afterCheckpoint).not.toBe(start);
    other.prepare('insert into t values (2)').run();
    const afterRestart = version();
    expect(afterRestart).not.toBe(afterCheckpoint);
    expect(afterRestart).toBe(pragma());
    // A third connection opens, commits and closes: the index it shared is still the one read here.
    const third = new SqliteDatabase(file);
    third.prepare('insert into t values (3)').run();
    third.close();
    other.prepare('insert into t values (4)').run();
    const afterClose = version();
    expect(afterClose).not.toBe(afterRestart);
    expect(afterClose).toBe(pragma());
  });

  it("sees another process's commit", () => {
    const before = version();
    const script = `const D = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
      const d = new D(${JSON.stringify(file)}); d.prepare('insert into t values (9)').run(); d.close();`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const after = version();
    expect(after).not.toBe(before);
    expect(after).toBe(pragma());
    expect(mine.prepare('select count(*) from t').pluck().get()).toBe(1);
  });

  it("does not remember a snapshot's data_version: a commit during a transaction is seen after it", () => {
    const start = version();
    mine.exec('BEGIN');
    expect(mine.prepare('select count(*) from t').pluck().get()).toBe(0);
    other.prepare('insert into t values (1)').run();
    // Inside the transaction: the snapshot's number, as SQLite says.
    expect(version()).toBe(start);
    mine.exec('COMMIT');
    const after = version();
    expect(after).not.toBe(start);
    expect(after).toBe(pragma());
  });

  it('finds the index of a file opened through a symbolic link where SQLite puts it', () => {
    const link = join(dir, 'link.sqlite');
    symlinkSync(file, link);
    // A stray file next to the link is not the index SQLite writes.
    writeFileSync(`${link}-shm`, Buffer.alloc(64));
    const linked = WalIndexProbe.open(link)!;
    try {
      const first = linked.dataVersion(pragma, false);
      other.prepare('insert into t values (1)').run();
      expect(linked.dataVersion(pragma, false)).not.toBe(first);
    } finally {
      linked.close();
    }
  });

  it('is not made for a file without an index, and reads data_version on every call once closed', () => {
    expect(WalIndexProbe.open(join(dir, 'none.sqlite'))).toBeUndefined();
    probe.close();
    version();
    version();
    expect(reads).toBe(2);
  });
});
