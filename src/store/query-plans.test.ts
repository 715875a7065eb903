/**
 * SQLite's query plans for every prepared statement of the store. SQLite has
 * no statistics here (nothing runs ANALYZE), so its planner picks indexes by
 * their shape alone, and a new index can silently take over a query it was
 * not made for: migration 011's `reservations_customer_start` made a
 * conference's reservation read walk every reservation of the customer
 * (fixed by 012). These checks read the plan, not a timing: a statement that
 * names one conference must seek by it, and none may scan a whole table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { sqliteExecutorOf } from './database.js';
import { declaredQueries, type PreparedQuery } from './prepared.js';

/** Tables a plan may scan whole, and why. */
const scansAllowed: Record<string, string> = {
  // "Is any delivery due?" over the endpoints table, which holds a few rows per customer.
  webhook_endpoints: 'the few webhook endpoints',
};

describe('query plans of the prepared statements (SQLite)', () => {
  let database: TestDatabase;
  let server: TestServer;
  const plans = new Map<PreparedQuery, string[]>();

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    // Starting the server imports every repository, so every statement is declared.
    server = await startTestServer({ database });
    const sqlite = sqliteExecutorOf(server.services.store.db)!.sqlite;
    for (const query of declaredQueries()) {
      let statement;
      try {
        statement = sqlite.prepare(`explain query plan ${query.sqlite}`);
      } catch {
        continue; // a PostgreSQL-only statement (its text is PostgreSQL's)
      }
      const placeholders = query.sqlite.match(/\?/g)?.length ?? 0;
      const rows = statement.all(...Array.from({ length: placeholders }, () => 'x')) as { detail: string }[];
      plans.set(
        query,
        rows.map((row) => row.detail),
      );
    }
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('reads the statements of the hot path', () => {
    const names = [...plans.keys()].map((query) => query.name);
    for (const name of ['reservations_of_conference', 'persons_of_conference', 'conference_by_uid', 'claim_pin']) {
      expect(names).toContain(`baton_${name}`);
    }
  });

  it("reads one conference's reservations by the conference, not by walking the customer's", () => {
    const query = [...plans.keys()].find((q) => q.name === 'baton_reservations_of_conference')!;
    expect(plans.get(query)).toEqual([
      'SEARCH reservations USING INDEX reservations_conference_customer (conference_uid=? AND customer_uid=?)',
    ]);
  });

  it('seeks by the conference wherever a statement names one', () => {
    const offenders: string[] = [];
    for (const [query, plan] of plans) {
      // Each table the statement constrains by `<table or alias>.conference_uid = ?` or a bare `conference_uid = ?`.
      if (!/(^|[\s(.])conference_uid\s*=\s*\?/.test(query.sqlite)) continue;
      const searches = plan.filter((line) => /^SEARCH /.test(line));
      const byConference = searches.some(
        (line) => /\(conference_uid=\?/.test(line) || /\(did=\? AND pin=\?\)/.test(line),
      );
      if (!byConference) offenders.push(`${query.name}: ${plan.join(' / ')}`);
    }
    expect(offenders).toEqual([]);
  });

  it('scans no whole table', () => {
    const offenders: string[] = [];
    for (const [query, plan] of plans) {
      for (const line of plan) {
        const scan = /^SCAN (\w+)( |$)/.exec(line);
        // `SCAN w` over a statement's own CTE or subquery reads rows it already found.
        const own = scan && new RegExp(`\\b(as|with) ${scan[1]}\\b`, 'i').test(query.sqlite);
        if (scan && !(scan[1]! in scansAllowed) && !own) {
          offenders.push(`${query.name}: ${line}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
