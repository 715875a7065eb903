import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ParameterError } from '../errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';

const position = z.tuple([z.number().int(), z.string().regex(/^[A-Z0-9]{16}$/)]);

describe('list cursors', () => {
  it('read back the position they were made from', () => {
    const cursor = encodeCursor('conference:ACTIVE', [1768496400000, 'ABCDEFGHIJKLMNOP']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'conference:ACTIVE', position)).toEqual([1768496400000, 'ABCDEFGHIJKLMNOP']);
  });

  const good = encodeCursor('conference:ACTIVE', [5, 'ABCDEFGHIJKLMNOP']);
  const forged = (tuple: unknown[]) => {
    const payload = Buffer.from(JSON.stringify(tuple)).toString('base64url');
    return `${payload}.${good.split('.')[1]}`;
  };
  it.each([
    ['empty', ''],
    ['without its check value', good.split('.')[0]!],
    ['truncated', good.slice(0, -1)],
    ['with an edited position', forged(['conference:ACTIVE', 6, 'ABCDEFGHIJKLMNOP'])],
    ['with an extra part', `${good}.x`],
    ['too long', `${'A'.repeat(600)}.abc`],
    ['of another list', encodeCursor('conference:CANCEL', [5, 'ABCDEFGHIJKLMNOP'])],
    ['of the wrong shape', encodeCursor('conference:ACTIVE', ['5', 'ABCDEFGHIJKLMNOP'])],
    ['not base64url', '%%%.abc'],
  ])('refuse a cursor %s with a ParameterError', (_, cursor) => {
    expect(() => decodeCursor(cursor, 'conference:ACTIVE', position)).toThrow(ParameterError);
    expect(() => decodeCursor(cursor, 'conference:ACTIVE', position)).toThrow(/cursor is not one this list gave/);
  });
});
