import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues, optionalText, role } from './params.js';

/** The parsed value, or the -2 message a client would read. */
function parse(schema: z.ZodType, input: Record<string, unknown>): unknown {
  const parsed = schema.safeParse(input);
  return parsed.success ? parsed.data : describeIssues(parsed.error);
}

describe('optionalText', () => {
  const schema = z.object({ name: optionalText(5) });

  it('gives the text, and nothing for an empty or absent value', () => {
    expect(parse(schema, { name: 'Ann' })).toEqual({ name: 'Ann' });
    expect(parse(schema, { name: ' ' })).toEqual({ name: ' ' });
    expect((parse(schema, { name: '' }) as { name?: string }).name).toBeUndefined();
    expect(parse(schema, {})).toEqual({});
  });

  it('refuses text over its bound and anything but text, with one message', () => {
    expect(parse(schema, { name: 'abcdef' })).toBe('name must be at most 5 characters');
    expect(parse(schema, { name: 5 })).toBe('name Invalid input: expected string, received number');
  });
});

describe('role', () => {
  const schema = z.object({ role: role() });

  it('gives the role in upper case, trimmed, whatever case it came in', () => {
    expect(parse(schema, { role: 'participant' })).toEqual({ role: 'PARTICIPANT' });
    expect(parse(schema, { role: ' Presenter ' })).toEqual({ role: 'PRESENTER' });
    expect(parse(schema, { role: 'OPERATOR' })).toEqual({ role: 'OPERATOR' });
  });

  it('refuses a missing, blank, unknown or oversized role with exactly one message', () => {
    const oneOf = 'role must be one of PARTICIPANT, ASSISTANT, PRESENTER, OPERATOR';
    expect(parse(schema, {})).toBe('role is required');
    expect(parse(schema, { role: '   ' })).toBe('role is required');
    expect(parse(schema, { role: 'king' })).toBe(`${oneOf}, got "king"`);
    expect(parse(schema, { role: ' boss ' })).toBe(`${oneOf}, got "boss"`);
    expect(parse(schema, { role: 'x'.repeat(33) })).toBe(oneOf);
    expect(parse(schema, { role: 7 })).toBe('role must be text');
  });
});
