/**
 * Opaque cursors for reading a long list page by page (`cursor` / `nextCursor`).
 * A cursor names a position in one list's order: base64url of a small JSON
 * tuple `[list, ...position]`, then a check value over it. A client treats it
 * as opaque text; the server reads back only what it wrote: a cursor that is
 * truncated, edited, or taken from another list is a -2. Forging one gains
 * nothing — every list query is scoped to the caller's customer anyway.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { ParameterError } from '../errors.js';

/** Longest cursor accepted (the ones Baton writes are well under 200 characters). */
export const maxCursorLength = 512;

function check(payload: string): string {
  return createHash('sha256').update(`baton-cursor:${payload}`).digest('base64url').slice(0, 11);
}

/** The cursor for `position` in list `list` (e.g. `conference:ACTIVE`). */
export function encodeCursor(list: string, position: readonly (string | number)[]): string {
  const payload = Buffer.from(JSON.stringify([list, ...position]), 'utf8').toString('base64url');
  return `${payload}.${check(payload)}`;
}

/**
 * Reads a cursor of list `list` back into its position, validated by `shape`
 * (a zod tuple); a cursor that is not one this list gave is a ParameterError.
 */
export function decodeCursor<S extends z.ZodType>(cursor: string, list: string, shape: S): z.output<S> {
  const refuse = (): never => {
    throw new ParameterError('cursor is not one this list gave; pass nextCursor from its last answer unchanged');
  };
  if (cursor.length > maxCursorLength) refuse();
  const [payload, sum, extra] = cursor.split('.');
  if (!payload || !sum || extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(payload) || check(payload) !== sum) refuse();
  let tuple: unknown;
  try {
    tuple = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
  } catch {
    return refuse();
  }
  if (!Array.isArray(tuple) || tuple[0] !== list) refuse();
  const parsed = shape.safeParse((tuple as unknown[]).slice(1));
  if (!parsed.success) refuse();
  return parsed.data as z.output<S>;
}
