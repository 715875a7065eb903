/**
 * The cluster's write token between real processes: the test process plays
 * the primary (a WriteTokenHost over node:child_process IPC channels), each
 * forked child a worker (a WriteTokenClient gating a real executor's write
 * groups on one SQLite file, busy_timeout 0). Whoever holds the token, no
 * one else does; the turns go round; a dead holder's token is taken back.
 */
import SqliteDatabase from 'better-sqlite3';
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/database.js';
import { migrate, openStore } from './store/database.js';
import {
  isTokenMessage,
  WriteTokenClient,
  WriteTokenHost,
  type TokenChannel,
  type TokenMessage,
} from './write-token.js';

/**
 * A worker: on 'write' messages, runs that many units in one turn through
 * its executor's group commit (each inserts a row naming the writer, with a
 * turn's pause inside, so a group is long enough for the other to want the
 * lock); reports each group's rows once committed, and how often a BEGIN
 * found the lock taken.
 */
const writerSource = `
import { openStore, inTransaction, sqliteExecutorOf } from '${join(process.cwd(), 'src/store/database.ts')}';
import { WriteTokenClient } from '${join(process.cwd(), 'src/write-token.ts')}';
const [file, name] = process.argv.slice(2);
const store = openStore(file, { checkpointElsewhere: true });
const executor = sqliteExecutorOf(store.db);
const gate = new WriteTokenClient(process);
executor.useWriteGate(gate);
process.on('message', (message) => {
  if (gate.receive(message)) return;
  if (message.write) {
    const units = Array.from({ length: message.write }, (_, i) =>
      inTransaction(store.db, async (trx) => {
        await trx.insertInto('token_log').values({ writer: name, step: 'begin' }).execute();
        await new Promise((resolve) => setImmediate(resolve));
        await trx.insertInto('token_log').values({ writer: name, step: 'end ' + i }).execute();
      }),
    );
    Promise.all(units).then(
      () => process.send({ done: message.write, busy: executor.busyBegins }),
      (error) => process.send({ failed: String(error) }),
    );
  }
});
process.send({ ready: true });
`;

interface Writer {
  child: ChildProcess;
  messages: Record<string, unknown>[];
  exited: Promise<void>;
}

describe('the write token between processes', () => {
  let database: TestDatabase;
  let writers: Writer[];
  const host = new WriteTokenHost<ChildProcess>();
  let holders: number[];

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    const store = openStore(database.url);
    await migrate(store);
    await store.close();
    const setup = new SqliteDatabase(database.url);
    setup.exec('create table token_log (id integer primary key, writer text not null, step text not null)');
    setup.close();
    const script = join(database.url, '..', 'token-writer.ts');
    writeFileSync(script, writerSource);
    holders = [];
    writers = await Promise.all(
      ['A', 'B'].map(
        (name) =>
          new Promise<Writer>((resolve) => {
            const child = fork(script, [database.url, name], { execArgv: ['--import', 'tsx'] });
            const writer: Writer = {
              child,
              messages: [],
              exited: new Promise((done) => child.once('exit', () => done())),
            };
            child.on('message', (message: Record<string, unknown>) => {
              if (isTokenMessage(message)) {
                host.receive(child, message);
                // Never two holders: the host's one holder is all there is.
                holders.push(host.heldBy === undefined ? 0 : 1);
                return;
              }
              writer.messages.push(message);
              if (message.ready) resolve(writer);
            });
            child.once('exit', () => host.gone(child));
          }),
      ),
    );
  }, 60_000);
  afterEach(async () => {
    for (const writer of writers) writer.child.kill('SIGKILL');
    await Promise.all(writers.map((w) => w.exited));
    await database.drop();
  });

  const log = async () => {
    const reader = new SqliteDatabase(database.url, { readonly: true });
    try {
      return reader.prepare('select writer, step from token_log order by id').all() as {
        writer: string;
        step: string;
      }[];
    } finally {
      reader.close();
    }
  };
  const tokenReturned = async () => {
    for (let i = 0; i < 500 && host.heldBy !== undefined; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(host.heldBy).toBeUndefined();
  };
  const done = (writer: Writer, count: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = writer.messages.find((m) => m.done !== undefined || m.failed !== undefined);
        if (found) {
          writer.messages.splice(writer.messages.indexOf(found), 1);
          return found.failed ? reject(new Error(String(found.failed))) : resolve(found);
        }
        setTimeout(check, 5);
      };
      writer.child.send({ write: count });
      check();
    });

  it('lets two processes write at once without ever colliding on the lock, one whole group after another', async () => {
    const grantsBefore = host.grants;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, round) => Promise.all(writers.map((w) => done(w, 5 + round)))),
    );
    // No BEGIN of either ever found the other's transaction in the way.
    expect(results.flat().map((r) => r.busy)).toEqual(results.flat().map(() => 0));
    const rows = await log();
    expect(rows.length).toBe(2 * 2 * (5 * 10 + 45));
    // Each committed transaction is one writer's run of rows: count the switches between writers.
    let switches = 0;
    for (let i = 1; i < rows.length; i++) if (rows[i]!.writer !== rows[i - 1]!.writer) switches++;
    // Every group took its own grant (more than one group a writer, so the turns really alternated).
    const grants = host.grants - grantsBefore;
    expect(switches).toBeGreaterThan(0);
    expect(switches).toBeLessThan(grants);
    // A turn asked for ahead and left unused comes back within a millisecond.
    await tokenReturned();
  }, 60_000);

  it('takes the token back from a holder that dies, and the other process writes on', async () => {
    const [a, b] = writers as [Writer, Writer];
    // A takes the token and keeps it: its BEGIN finds the lock taken by a connection outside the cluster.
    const outsider = new SqliteDatabase(database.url);
    outsider.exec('BEGIN IMMEDIATE');
    a.child.send({ write: 3 });
    while (host.heldBy !== a.child) await new Promise((resolve) => setTimeout(resolve, 5));
    const bDone = done(b, 4);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // B waits its turn meanwhile.
    expect(host.heldBy).toBe(a.child);
    expect(b.messages.filter((m) => m.done !== undefined)).toEqual([]);
    a.child.kill('SIGKILL');
    await a.exited;
    outsider.exec('ROLLBACK');
    outsider.close();
    const result = await bDone;
    expect(result.done).toBe(4);
    const rows = await log();
    // Nothing of the dead holder's (it never began), all of B's.
    expect(rows.map((r) => r.writer)).toEqual(Array.from({ length: 8 }, () => 'B'));
    await tokenReturned();
  }, 60_000);
});

describe('WriteTokenHost and WriteTokenClient', () => {
  /** A channel that hands each message to `deliver` on a later turn, as IPC does. */
  const channel = (deliver: (message: TokenMessage) => void, fail = false): TokenChannel & { sent: string[] } => {
    const sent: string[] = [];
    return {
      sent,
      send(message, callback) {
        sent.push(message.op);
        setImmediate(() => {
          if (fail) return callback(new Error('channel closed'));
          deliver(message);
          callback(null);
        });
        return true;
      },
    };
  };
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  /** Two workers' clients wired to `host` through IPC-like channels (`holdAhead` as in a worker, if given). */
  const twoWorkers = (
    host: WriteTokenHost<TokenChannel & { sent: string[] }>,
    holdAhead?: (handBack: () => void) => void,
  ) => {
    const clients: WriteTokenClient[] = [];
    const sides = [0, 1].map((i) => {
      const toHost = channel((message) => host.receive(sides[i]!.toClient, message));
      const toClient = channel((message) => clients[i]!.receive(message));
      return { toHost, toClient };
    });
    clients.push(new WriteTokenClient(sides[0]!.toHost, holdAhead), new WriteTokenClient(sides[1]!.toHost, holdAhead));
    return { clients: clients as [WriteTokenClient, WriteTokenClient], sides };
  };

  it('grants in the order asked, one holder at a time, and skips a worker that is gone', async () => {
    const host = new WriteTokenHost<TokenChannel & { sent: string[] }>();
    const [a, b, c] = [channel(() => {}), channel(() => {}), channel(() => {})];
    host.receive(a, { baton: 'token', op: 'ask' });
    host.receive(b, { baton: 'token', op: 'ask' });
    host.receive(c, { baton: 'token', op: 'ask' });
    host.receive(b, { baton: 'token', op: 'ask' });
    expect(host.heldBy).toBe(a);
    // A return from a worker that does not hold it changes nothing.
    host.receive(c, { baton: 'token', op: 'return' });
    expect(host.heldBy).toBe(a);
    host.gone(b);
    host.receive(a, { baton: 'token', op: 'return' });
    expect(host.heldBy).toBe(c);
    host.gone(c);
    expect(host.heldBy).toBeUndefined();
    expect([a.sent, b.sent, c.sent]).toEqual([['grant'], [], ['grant']]);
  });

  it('takes a pass as a return and an ask: the next waiting worker goes first, else the grant comes back', async () => {
    const host = new WriteTokenHost<TokenChannel & { sent: string[] }>();
    const [a, b] = [channel(() => {}), channel(() => {})];
    host.receive(a, { baton: 'token', op: 'ask' });
    // Alone, a pass gets the token straight back.
    host.receive(a, { baton: 'token', op: 'pass' });
    expect(host.heldBy).toBe(a);
    host.receive(b, { baton: 'token', op: 'ask' });
    host.receive(a, { baton: 'token', op: 'pass' });
    expect(host.heldBy).toBe(b);
    // A pass from a worker that waits already changes nothing.
    host.receive(a, { baton: 'token', op: 'pass' });
    expect(host.heldBy).toBe(b);
    host.receive(b, { baton: 'token', op: 'return' });
    expect(host.heldBy).toBe(a);
    host.receive(a, { baton: 'token', op: 'return' });
    expect(host.heldBy).toBeUndefined();
    expect([a.sent, b.sent]).toEqual([['grant', 'grant', 'grant'], ['grant']]);
  });

  it('passes the token on when a grant cannot be delivered', async () => {
    const host = new WriteTokenHost<TokenChannel & { sent: string[] }>();
    const closed = channel(() => {}, true);
    const open = channel(() => {});
    host.receive(closed, { baton: 'token', op: 'ask' });
    host.receive(open, { baton: 'token', op: 'ask' });
    await turn();
    expect(host.heldBy).toBe(open);
  });

  it("serves a worker's groups one at a time and asks again for the next, so the other worker goes between", async () => {
    const host = new WriteTokenHost<TokenChannel & { sent: string[] }>();
    const { clients, sides } = twoWorkers(host);
    const order: string[] = [];
    const group = async (name: string, client: WriteTokenClient) => {
      await client.acquire();
      order.push(`${name} in`);
      await turn();
      order.push(`${name} out`);
      client.release();
    };
    await Promise.all([
      group('A1', clients[0]!),
      group('A2', clients[0]!),
      group('B1', clients[1]!),
      group('B2', clients[1]!),
    ]);
    expect(order).toEqual(['A1 in', 'A1 out', 'B1 in', 'B1 out', 'A2 in', 'A2 out', 'B2 in', 'B2 out']);
    // One grant a group; a worker's next group is asked for in the same message that hands the token back.
    expect(sides.map((s) => s.toHost.sent)).toEqual([
      ['ask', 'pass', 'return'],
      ['ask', 'pass', 'return'],
    ]);
    expect(host.grants).toBe(4);
  });

  it('asks for its next turn with the return while the workers take turns, and hands back a turn it did not use', async () => {
    const host = new WriteTokenHost<TokenChannel & { sent: string[] }>();
    // The hand-backs of turns asked for ahead, run when the test says (a millisecond in a worker).
    const handBacks: (() => void)[] = [];
    const { clients, sides } = twoWorkers(host, (handBack) => void handBacks.push(handBack));
    const [a, b] = clients;
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 1000 && !done(); i++) await turn();
      expect(done()).toBe(true);
    };
    const handBack = () => {
      for (const run of handBacks.splice(0)) run();
    };
    await a.acquire();
    // A busy group, but nobody waited when A got the token: a plain return.
    a.release(true);
    await until(() => host.heldBy === undefined);
    expect(sides[0]!.toHost.sent).toEqual(['ask', 'return']);

    await a.acquire();
    const bFirst = b.acquire();
    const aNext = a.acquire();
    await until(() => sides[1]!.toHost.sent.length === 1);
    await turn();
    // A hands over to B, asking again for its waiting group: B's grant says A waits.
    a.release();
    await bFirst;
    // B's group was busy and the workers are taking turns: B asks for its next turn now, with no group waiting.
    b.release(true);
    await aNext;
    expect(host.heldBy).toBe(sides[0]!.toClient);
    a.release();
    // The turn B asked for ahead comes; a write of B's that arrives meanwhile takes it without asking.
    await until(() => host.heldBy === sides[1]!.toClient);
    await turn();
    const sentBefore = sides[1]!.toHost.sent.length;
    await b.acquire();
    expect(sides[1]!.toHost.sent.length).toBe(sentBefore);
    expect(b.aheadStats).toEqual({ asked: 1, unused: 0 });
    // That turn came after A's, so B asks ahead again; nobody waits now: the grant comes straight back, goes
    // unused and is handed back (and the next one, granted without waiting, asks no more ahead).
    b.release(true);
    await until(() => handBacks.length === 2);
    // A turn taken by a write is not handed back (the first hand-back), an unused one is.
    handBack();
    await until(() => host.heldBy === undefined);
    expect(b.aheadStats).toEqual({ asked: 2, unused: 1 });

    // Again, but no write comes: the turn goes back unused.
    await a.acquire();
    const bAgain = b.acquire();
    const aAgain = a.acquire();
    await until(() => sides[1]!.toHost.sent.at(-1) === 'ask');
    await turn();
    a.release();
    await bAgain;
    b.release(true);
    await aAgain;
    a.release();
    await until(() => handBacks.length === 1);
    expect(host.heldBy).toBe(sides[1]!.toClient);
    handBack();
    await until(() => host.heldBy === undefined);
    expect(b.aheadStats).toEqual({ asked: 3, unused: 2 });
    expect(sides[1]!.toHost.sent).toEqual(['ask', 'pass', 'pass', 'return', 'ask', 'pass', 'return']);
    expect(sides[0]!.toHost.sent).toEqual(['ask', 'return', 'ask', 'pass', 'return', 'ask', 'pass', 'return']);
  });

  it('fails the groups waiting for the token once the primary is gone', async () => {
    const client = new WriteTokenClient(channel(() => {}));
    const waiting = client.acquire();
    client.close(new Error('the cluster primary is gone'));
    await expect(waiting).rejects.toThrow('the cluster primary is gone');
    await expect(client.acquire()).rejects.toThrow('the cluster primary is gone');
  });
});
