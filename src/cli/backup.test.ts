import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/cli.js';
import { createTestDatabase } from '../../test/database.js';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';
import { openStore } from '../store/database.js';

describe('baton backup (SQLite online backup)', () => {
  let server: TestServer;
  let file: string;
  beforeAll(async () => {
    server = await startTestServer({ database: await createTestDatabase('sqlite') });
    file = server.database.url;
    const conference = await createConference(server, { name: 'Backed up' });
    for (let i = 0; i < 5; i++) await server.call('addPerson', { conference, role: 'PARTICIPANT', name: `P${i}` });
  });
  afterAll(async () => {
    await server.close();
    await server.database.drop();
  });

  it('copies the database while the server holds it open, into a file that opens with the same rows', async () => {
    const destination = join(dirname(file), 'backup.db');
    const run = await runCli(['backup', destination], { DATABASE_URL: file });
    // Only progress on stderr (piped: plain lines), ending with the whole database copied.
    expect(run.stderr).toMatch(/^(backing up: [^\n]*\n)*backing up: (\d+)\/\2 pages in \d+ s\n$/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`to ${destination}`);

    const copy = openStore(destination);
    try {
      const check = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(copy.db);
      expect(check.rows).toEqual([{ integrity_check: 'ok' }]);
      for (const table of ['customers', 'api_keys', 'conferences', 'reservations', 'persons', 'pin_claims'] as const) {
        const live = await server.services.store.db.selectFrom(table).selectAll().execute();
        const backedUp = await copy.db.selectFrom(table).selectAll().execute();
        expect(backedUp, table).toEqual(live);
      }
      // The server still answers after the backup.
      expect((await server.call('getCustomer')).code).toBe(0);
    } finally {
      await copy.close();
    }
  });

  it('reads DATABASE_URL as a file: URL the same: the file it names, never a folder called "file:"', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const destination = join(dirname(file), 'backup-by-url.db');
    const run = await runCli(['backup', destination], { DATABASE_URL: pathToFileURL(file).href });
    expect(run.stderr).not.toContain('Error');
    expect(run.code).toBe(0);
    const copy = openStore(destination);
    try {
      expect(await copy.db.selectFrom('persons').select('uid').execute()).toHaveLength(5);
    } finally {
      await copy.close();
    }
    // A fresh database by the relative form is made where it says, migrated.
    const fresh = join(dirname(file), 'fresh', 'by-file-url.db');
    const migrated = await runCli(['migrate'], { DATABASE_URL: `file:${fresh}` });
    expect(migrated.code).toBe(0);
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(join(root, 'file:'))).toBe(false);
  });

  it('refuses to overwrite an existing file', async () => {
    const destination = join(dirname(file), 'backup.db');
    expect(existsSync(destination)).toBe(true);
    const run = await runCli(['backup', destination], { DATABASE_URL: file });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('exists; back up to a new file');
  });

  it('points to pg_dump when DATABASE_URL is PostgreSQL', async () => {
    const run = await runCli(['backup', join(dirname(file), 'pg.db')], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('pg_dump');
  });
});
