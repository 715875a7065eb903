import { describe, expect, it } from 'vitest';
import { AnswerCache, estimateSize } from './answer-cache.js';

describe('AnswerCache', () => {
  it('drops only the answers of a changed scope', () => {
    const cache = new AnswerCache({ entries: 10, bytes: 1_000_000 });
    cache.set('a1', 'A row', ['A'], 10);
    cache.set('a2', 'A persons', ['A', 'C'], 10);
    cache.set('b1', 'B row', ['B', 'C'], 10);
    cache.dropScope('A');
    expect(cache.get('a1')).toBeUndefined();
    expect(cache.get('a2')).toBeUndefined();
    expect(cache.get('b1')).toBe('B row');
    expect(cache.stats.dropped).toBe(2);
    // A scope shared by a dropped and a kept answer still drops the kept one later.
    cache.dropScope('C');
    expect(cache.get('b1')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('evicts the least recently used answer at the count limit, not everything', () => {
    const cache = new AnswerCache({ entries: 3, bytes: 1_000_000 });
    cache.set('k1', 1, ['s'], 1);
    cache.set('k2', 2, ['s'], 1);
    cache.set('k3', 3, ['s'], 1);
    expect(cache.get('k1')).toBe(1); // k2 is now the least recently used
    cache.set('k4', 4, ['t'], 1);
    expect(cache.get('k2')).toBeUndefined();
    expect([cache.get('k1'), cache.get('k3'), cache.get('k4')]).toEqual([1, 3, 4]);
    expect(cache.stats.evicted).toBe(1);
    expect(cache.size.entries).toBe(3);
  });

  it('stays within its byte budget and never keeps one answer of more than a sixteenth of it', () => {
    const cache = new AnswerCache({ entries: 1_000, bytes: 1_600 });
    cache.set('huge', 'x', ['s'], 101);
    expect(cache.get('huge')).toBeUndefined();
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, i, ['s'], 100);
    expect(cache.size).toEqual({ entries: 16, bytes: 1_600 });
    expect(cache.get('k3')).toBeUndefined();
    expect(cache.get('k4')).toBe(4);
    // Replacing an answer does not count it twice.
    cache.set('k4', 'again', ['s'], 100);
    expect(cache.size).toEqual({ entries: 16, bytes: 1_600 });
  });

  it("keeps an answer's renderings only with the entry holding that very object, counted in its bytes", () => {
    const cache = new AnswerCache({ entries: 10, bytes: 16_000 });
    const answer = Object.freeze({ UID: 'A' });
    const json = Buffer.from('{"json":1}');
    // Not held: nothing is kept.
    cache.keepRendering(answer, 'json', json);
    expect(cache.holds(answer)).toBe(false);
    cache.set('a', { value: answer }, ['A'], 100, answer);
    expect(cache.holds(answer)).toBe(true);
    expect(cache.rendering(answer, 'json')).toBeUndefined();
    cache.keepRendering(answer, 'json', json);
    expect(cache.rendering(answer, 'json')).toBe(json);
    expect(cache.rendering(answer, 'xml')).toBeUndefined();
    // An equal but other object is not the held answer.
    expect(cache.rendering({ UID: 'A' }, 'json')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 1, bytes: 100 + json.length });
    expect(cache.stats.reused).toBe(1);

    // Dropped with its scope.
    cache.dropScope('A');
    expect(cache.rendering(answer, 'json')).toBeUndefined();
    expect(cache.holds(answer)).toBe(false);
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });

    // Replaced under its key by a new answer (its until passed): the old bytes go with it.
    cache.set('a', { value: answer }, ['A'], 100, answer);
    cache.keepRendering(answer, 'json', json);
    const next = Object.freeze({ UID: 'A', status: 'IDLE' });
    cache.set('a', { value: next }, ['A'], 100, next);
    expect(cache.rendering(answer, 'json')).toBeUndefined();
    expect(cache.rendering(next, 'json')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 1, bytes: 100 });

    // Evicted at the count limit; a rendering over a sixteenth of the budget is not kept.
    cache.keepRendering(next, 'xml', Buffer.alloc(1_000));
    expect(cache.rendering(next, 'xml')).toBeUndefined();
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i, ['s'], 1);
    expect(cache.holds(next)).toBe(false);
    cache.clear();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('estimates a string at two bytes a character, and rows by their fields', () => {
    expect(estimateSize('x'.repeat(1000))).toBeGreaterThanOrEqual(2000);
    const rows = Array.from({ length: 500 }, (_, i) => ({ uid: `P${i}`.padEnd(16, '0'), name: 'n'.repeat(100) }));
    expect(estimateSize(rows)).toBeGreaterThan(500 * (32 + 200));
  });

  it('estimates a list of strings as each string and its slot, frozen or not, nested or not', () => {
    const uids = Array.from({ length: 2000 }, (_, i) => `P${String(i).padStart(14, '0')}`);
    // An array's overhead, then per item its slot (8) and the string (16 + two bytes a character).
    const expected = 32 + 2000 * (8 + 16 + 15 * 2);
    expect(estimateSize(uids)).toBe(expected);
    expect(estimateSize(Object.freeze([...uids]))).toBe(expected);
    expect(estimateSize({ persons: uids })).toBe(32 + 16 + expected);
    expect(estimateSize([uids, 7, null, { a: 'xy' }])).toBe(
      32 + (8 + expected) + (8 + 8) + (8 + 8) + (8 + 32 + 16 + 20),
    );
  });
});
