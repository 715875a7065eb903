/**
 * Parameter schemas. Every parameter arrives as text (query, form or JSON body,
 * DESIGN.md); these zod builders bound its size, parse it, and give the
 * message a client sees with code -2. The same schemas feed the OpenAPI document.
 */
import { z } from 'zod';
import { parseDateTimeInput, type DateTimeInput } from '../domain/time.js';
import { ParameterError } from '../errors.js';

/** The roles of the spec's Role enum. */
export const roles = ['PARTICIPANT', 'ASSISTANT', 'PRESENTER', 'OPERATOR'] as const;
export type Role = (typeof roles)[number];

const required = (iss: { input: unknown }) => (iss.input === undefined ? 'is required' : 'must be text');

/** Required, non-blank text of at most `max` characters (trimmed). */
export function requiredText(max: number) {
  return z.string({ error: required }).trim().min(1, 'is required').max(max, `must be at most ${max} characters`);
}

/** Optional text of at most `max` characters; empty means "not supplied". */
export function optionalText(max: number) {
  // `overwrite` is a check that replaces the value: it costs zod about 70 ns a field where
  // `.transform` (a pipe into a transform) cost 450 — five of these made half of addPerson's parse.
  return z
    .string()
    .max(max, `must be at most ${max} characters`)
    .optional()
    .overwrite((v) => (v === '' ? undefined : v));
}

/**
 * A value to assign (the update* functions' `value`, updateCustomValue's `customValue`): it must be
 * sent, and may be empty, at most `max` characters. The spec marks what may be left out "(Optional)"
 * and does not mark these: "value	String	Value to be assigned to field"; "To remove a custom value
 * just assign it an empty value". A missing one used to clear the field, which a client's typo or a
 * forgotten parameter would do silently: it is a -2 that names the parameter; `value=` still assigns
 * the empty value.
 */
export function assignedText(max: number) {
  return z.string({ error: required }).max(max, `must be at most ${max} characters`);
}

/** A UID parameter: required, at most 64 characters. */
export function uid() {
  return requiredText(64).meta({ description: 'A UID (16 characters of [A-Z0-9])', examples: ['4FCYZIJ4F7C0XLK7'] });
}

const truthy = new Set(['true', '1', 'yes', 'on']);
const falsy = new Set(['false', '0', 'no', 'off']);

/** What the boolean parameters accept, for the OpenAPI document (the parser is case-insensitive). */
const booleanPattern =
  '^\\s*(|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[01]|[Yy][Ee][Ss]|[Nn][Oo]|[Oo][Nn]|[Oo][Ff][Ff])\\s*$';
/** A whole number as text, for the OpenAPI document. */
const integerPattern = '^\\s*([+-]?\\d+(\\.0+)?)?\\s*$';
const integerMeta = (min: number, max: number) => ({
  description: `A whole number from ${min} to ${max}`,
  pattern: integerPattern,
  examples: [String(Math.max(min, Math.min(max, 10)))],
});

/** Parses a boolean as DESIGN.md says: true/false/1/0/yes/no/on/off in any case; null if none. */
export function parseBoolean(text: string): boolean | null {
  const t = text.trim().toLowerCase();
  if (truthy.has(t)) return true;
  if (falsy.has(t)) return false;
  return null;
}

/** Optional boolean; an empty value means "not supplied" (clients send `flag=`). */
export function optionalBoolean() {
  return z
    .string()
    .max(16, 'must be true or false')
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const b = parseBoolean(v);
      if (b === null) {
        ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
        return z.NEVER;
      }
      return b;
    })
    .meta({
      description: 'A boolean: true/false/1/0/yes/no/on/off in any case; empty means not supplied',
      pattern: booleanPattern,
      examples: ['true', 'false'],
    });
}

/** Optional whole number in [min, max]; empty means "not supplied". */
export function optionalInteger(min: number, max: number) {
  return z
    .string()
    .max(20, `must be a whole number from ${min} to ${max}`)
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const n = parseWholeNumber(v);
      if (n === null || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    })
    .meta(integerMeta(min, max));
}

/** Required whole number in [min, max]. */
export function requiredInteger(min: number, max: number) {
  return z
    .string({ error: required })
    .max(20, `must be a whole number from ${min} to ${max}`)
    .transform((v, ctx) => {
      const n = parseWholeNumber(v);
      if (n === null || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    })
    .meta(integerMeta(min, max));
}

/** "12", " 12 ", "12.0" → 12; anything else → null. */
export function parseWholeNumber(text: string): number | null {
  const t = text.trim();
  if (!/^[+-]?\d+(\.0+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

const dateTimeMeta = {
  description: 'A date and time as yyyy.MM.dd HH:mm:ss in the customer’s time zone, or ISO 8601 with an offset',
  examples: ['2026.02.01 17:00:00', '2026-02-01T17:00:00Z'],
};

function parseDateTimeParam(v: string, ctx: z.RefinementCtx): DateTimeInput {
  const parsed = parseDateTimeInput(v);
  if (!parsed) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a date and time as yyyy.MM.dd HH:mm:ss (or ISO 8601 with an offset), got "${v}"`,
    });
    return z.NEVER;
  }
  return parsed;
}

/** Optional DateTime (`yyyy.MM.dd HH:mm:ss` or ISO 8601 with offset); resolved in the customer's zone later. */
export function optionalDateTime() {
  return z
    .string()
    .max(40, 'must be a date and time as yyyy.MM.dd HH:mm:ss')
    .optional()
    .transform((v, ctx): DateTimeInput | undefined =>
      v === undefined || v.trim() === '' ? undefined : parseDateTimeParam(v, ctx),
    )
    .meta(dateTimeMeta);
}

/**
 * Required DateTime (`yyyy.MM.dd HH:mm:ss` or ISO 8601 with offset); resolved in the customer's zone later.
 * Required at the input level too, so the OpenAPI document marks it required.
 */
export function requiredDateTime() {
  const missing = 'is required (yyyy.MM.dd HH:mm:ss)';
  return z
    .string({ error: (iss) => (iss.input === undefined ? missing : 'must be text') })
    .max(40, 'must be a date and time as yyyy.MM.dd HH:mm:ss')
    .transform((v, ctx): DateTimeInput => {
      if (v.trim() === '') {
        ctx.addIssue({ code: 'custom', message: missing });
        return z.NEVER;
      }
      return parseDateTimeParam(v, ctx);
    })
    .meta(dateTimeMeta);
}

/** A role: one of the spec's ROLE values, in any case. */
export function role() {
  const schema = z
    .string({ error: required })
    .trim()
    .min(1, 'is required')
    .max(32, `must be one of ${roles.join(', ')}`)
    // Checks, not a transform (a pipe: ~450 ns more a call). Only text the length checks let
    // through is judged, so one refusal gives one message, as the transform (run after them) did.
    .check((ctx) => {
      const v = ctx.value;
      if (v.length === 0 || v.length > 32 || (roles as readonly string[]).includes(v.toUpperCase())) return;
      ctx.issues.push({ code: 'custom', message: `must be one of ${roles.join(', ')}, got "${v}"`, input: v });
    })
    .overwrite((v) => v.toUpperCase())
    .meta({ description: `A role, in any case: ${roles.join(', ')}`, examples: [...roles] });
  // The overwrite gives one of `roles` (the check refused anything else): the type says so.
  return schema as unknown as z.ZodType<Role, string>;
}

/** The role rule for values that are not zod-parsed (updatePerson's `value`). */
export function parseRole(text: string): Role {
  const upper = text.trim().toUpperCase();
  if (!(roles as readonly string[]).includes(upper)) {
    throw new ParameterError(`value: role must be one of ${roles.join(', ')}, got "${text}"`);
  }
  return upper as Role;
}

/** Turns zod's issues into the one-line message of a -2 envelope. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      return path ? `${path} ${issue.message}` : issue.message;
    })
    .join('; ');
}
