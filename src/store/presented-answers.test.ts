/**
 * PostgreSQL: a presented answer reused for equal content (`cachedAnswer`
 * given the text it is built from) keeps its rendered envelope bytes
 * (`renderedAnswer`) for as long as that very answer is held; other content
 * builds and renders afresh, and a value the cache does not hold is never
 * given bytes. PostgreSQL only (SQLite: answer-cache.test.ts, the executor's cache).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { migrate, openStore, type Store } from './database.js';
import { cachedAnswer, renderedAnswer } from './prepared.js';

describe.skipIf(!process.env.BATON_TEST_PG_URL)('presented answers on PostgreSQL', () => {
  let database: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    store = openStore(database.url);
    await migrate(store);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('reuses the rendered bytes of an answer reused for equal content, and only of that answer', async () => {
    let built = 0;
    let rendered = 0;
    const now = () => 1_000;
    const answer = (content: string, until = 2_000) =>
      cachedAnswer(store.db, 'answer-key', [], async () => ({ value: { n: ++built, content }, until }), now, content);
    const render = (value: object) => () => (rendered++, Buffer.from(JSON.stringify(value)));

    const first = await answer('a');
    const bytes = renderedAnswer(store.db, first, 'json', render(first))!;
    expect(bytes.toString()).toBe('{"n":1,"content":"a"}');
    const again = await answer('a');
    expect(again).toBe(first);
    expect(renderedAnswer(store.db, again, 'json', render(again))).toBe(bytes);
    expect([built, rendered]).toStrictEqual([1, 1]);
    // Another variant is rendered on its own.
    expect(renderedAnswer(store.db, again, 'xml', () => Buffer.from('<x/>'))!.toString()).toBe('<x/>');

    // Other content: built and rendered afresh; the old answer is no longer held, so it gets no bytes.
    const next = await answer('b');
    expect(next).toStrictEqual({ n: 2, content: 'b' });
    expect(renderedAnswer(store.db, next, 'json', render(next))!.toString()).toBe('{"n":2,"content":"b"}');
    expect(renderedAnswer(store.db, first, 'json', render(first))).toBeUndefined();
    expect(renderedAnswer(store.db, { n: 2, content: 'b' }, 'json', render(next))).toBeUndefined();
    expect(rendered).toBe(2);

    // An answer already past its `until` is not kept, so it is never rendered from the cache.
    const expired = await answer('c', 500);
    expect(renderedAnswer(store.db, expired, 'json', render(expired))).toBeUndefined();
  });
});
