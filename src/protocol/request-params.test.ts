import { describe, expect, it } from 'vitest';
import { addFormParams, parseFormBody, type Params } from './request-params.js';

/** A small deterministic generator, so a failure names its seed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

// The characters that make form decoding interesting: escapes valid and not, UTF-8 lead and
// continuation bytes, separators, plus signs, NUL, and text outside ASCII.
const pieces = [
  '%',
  '2',
  'B',
  '+',
  '=',
  '&',
  'a',
  'C',
  '3',
  'z',
  '0',
  'F',
  '%C3%A9',
  '%E2%82',
  '%00',
  'é',
  ' ',
  '%zz',
  '%2B',
  '%3D',
];

function randomText(next: () => number): string {
  let text = '';
  const length = Math.floor(next() * 24);
  for (let i = 0; i < length; i++) text += pieces[Math.floor(next() * pieces.length)];
  return text;
}

/** What form bodies were parsed with before: URLSearchParams, the last of a repeated name winning. */
function reference(body: string): Params {
  const params = Object.create(null) as Params;
  for (const [name, value] of new URLSearchParams(body)) params[name] = value;
  return params;
}

describe('the one-pass form parser', () => {
  it('parses every body as URLSearchParams does (names, order, repeats, +, escapes valid or not)', () => {
    const next = generator(20261201);
    for (let i = 0; i < 5000; i++) {
      const body = randomText(next);
      const parsed = parseFormBody(body);
      const expected = reference(body);
      expect(Object.entries(parsed), JSON.stringify(body)).toEqual(Object.entries(expected));
    }
  });

  it('keeps a query value with a bad escape undecoded, as the query-string parser does', () => {
    const params = Object.create(null) as Params;
    addFormParams(params, 'a=%zz%41&b=x+%41&c=%C3&d=%C3%A9&&=e&f', 'query');
    expect({ ...params }).toEqual({ a: '%zz%41', b: 'x A', c: '%C3', d: 'é', '': 'e', f: '' });
  });

  it('lets the body win over the query and keeps each name at its first position', () => {
    const params = Object.create(null) as Params;
    addFormParams(params, 'type=xml&key=1&type=json', 'query');
    addFormParams(params, 'key=2&name=x', 'form');
    expect(Object.entries(params)).toEqual([
      ['type', 'json'],
      ['key', '2'],
      ['name', 'x'],
    ]);
  });
});

describe('a parameters object', () => {
  it('has no inherited names: __proto__, constructor and toString are parameters like any other', () => {
    const params = parseFormBody('__proto__=a&constructor=b&toString=c&key=d');
    expect(Object.keys(params)).toEqual(['__proto__', 'constructor', 'toString', 'key']);
    expect([params.__proto__, params.constructor, params.toString, params.key]).toEqual(['a', 'b', 'c', 'd']);
    const empty = parseFormBody('key=d');
    expect([empty.__proto__, empty.constructor, empty.toString, empty.hasOwnProperty]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect('valueOf' in empty).toBe(false);
    const walked: string[] = [];
    for (const name in params) walked.push(name);
    expect(walked).toEqual(['__proto__', 'constructor', 'toString', 'key']);
  });
});
