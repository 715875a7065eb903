/**
 * A fresh, empty database for each test server: a SQLite file in a temporary
 * folder, or — when BATON_TEST_PG_URL names a PostgreSQL server — a new
 * database created on it. The same tests run on both (`npm test`, `npm run test:pg`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  dialect: 'sqlite' | 'postgres';
  drop(): Promise<void>;
}

let counter = 0;

/**
 * A fresh database: PostgreSQL when BATON_TEST_PG_URL is set, else SQLite; or
 * the dialect asked for (PostgreSQL still needs BATON_TEST_PG_URL).
 */
export async function createTestDatabase(dialect?: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  const adminUrl = process.env.BATON_TEST_PG_URL;
  if (dialect === 'postgres' && !adminUrl) throw new Error('a PostgreSQL test database needs BATON_TEST_PG_URL');
  if (adminUrl && dialect !== 'sqlite') {
    const name = `baton_test_${process.pid}_${Date.now()}_${counter++}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`create database ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      dialect: 'postgres',
      async drop() {
        const c = new pg.Client({ connectionString: adminUrl });
        await c.connect();
        try {
          await c.query(`drop database if exists ${name} with (force)`);
        } finally {
          await c.end();
        }
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'baton-test-'));
  return {
    url: join(dir, 'baton.db'),
    dialect: 'sqlite',
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
