/**
 * The fields that updateCustomer and updateConference may set, each with its
 * column and how its text value is parsed. Field names match in any case.
 */
import { ParameterError } from '../errors.js';
import { parseBoolean } from '../protocol/params.js';
import { normaliseEmailList } from './email-address.js';
import { canonicalTimeZone } from './time.js';

type Kind = 'boolean' | 'text' | 'emails' | 'timeZone';

export interface EditableField<Column extends string> {
  /** The name on the wire, as the spec writes it. */
  readonly name: string;
  readonly column: Column;
  readonly kind: Kind;
  /** Longest text accepted. */
  readonly max: number;
}

/** Parses `value` for `field`: booleans become 0/1, lists are normalised. */
export function parseFieldValue(field: EditableField<string>, value: string): string | number {
  switch (field.kind) {
    case 'boolean': {
      const b = parseBoolean(value);
      if (b === null) throw new ParameterError(`value for ${field.name} must be true or false, got "${value}"`);
      return b ? 1 : 0;
    }
    case 'emails':
      if (value.length > field.max) throw tooLong(field);
      return normaliseEmailList(value, `value for ${field.name}`);
    case 'timeZone': {
      const zone = canonicalTimeZone(value);
      if (zone === null) {
        throw new ParameterError(`value for ${field.name} must be an IANA time zone such as America/New_York`);
      }
      return zone;
    }
    case 'text':
      if (value.length > field.max) throw tooLong(field);
      return value;
  }
}

function tooLong(field: EditableField<string>): ParameterError {
  return new ParameterError(`value for ${field.name} must be at most ${field.max} characters`);
}

/** Finds a field by its wire name, in any case. */
export function findField<C extends string>(
  fields: readonly EditableField<C>[],
  name: string,
): EditableField<C> | undefined {
  const lower = name.trim().toLowerCase();
  return fields.find((f) => f.name.toLowerCase() === lower);
}

/** updateCustomer's fields (spec) plus timeZone (DESIGN.md). */
export const customerFields = [
  { name: 'contactEmail', column: 'contact_emails', kind: 'emails', max: 2000 },
  { name: 'greenroom', column: 'greenroom', kind: 'boolean', max: 16 },
  { name: 'recording', column: 'recording', kind: 'boolean', max: 16 },
  { name: 'affiliateCode', column: 'affiliate_code', kind: 'text', max: 200 },
  { name: 'reminder', column: 'reminder', kind: 'boolean', max: 16 },
  { name: 'backgroundMusic', column: 'background_music', kind: 'boolean', max: 16 },
  { name: 'preCall', column: 'pre_call', kind: 'text', max: 4000 },
  { name: 'postCall', column: 'post_call', kind: 'text', max: 4000 },
  { name: 'banner', column: 'banner', kind: 'text', max: 4000 },
  { name: 'callerInterface', column: 'caller_interface', kind: 'text', max: 4000 },
  { name: 'regComment', column: 'reg_comment', kind: 'text', max: 4000 },
  { name: 'timeZone', column: 'time_zone', kind: 'timeZone', max: 64 },
] as const satisfies readonly EditableField<string>[];

/** updateConference's fields, as the spec lists them. */
export const conferenceFields = [
  { name: 'contactEmail', column: 'contact_email', kind: 'emails', max: 2000 },
  { name: 'registerText', column: 'register_text', kind: 'text', max: 8000 },
  { name: 'notes', column: 'notes', kind: 'text', max: 8000 },
  { name: 'recording', column: 'recording', kind: 'boolean', max: 16 },
  { name: 'greenroom', column: 'greenroom', kind: 'boolean', max: 16 },
  { name: 'reminder', column: 'reminder', kind: 'boolean', max: 16 },
  { name: 'backgroundMusic', column: 'background_music', kind: 'boolean', max: 16 },
  { name: 'callerInterface', column: 'caller_interface', kind: 'text', max: 4000 },
  { name: 'preCall', column: 'pre_call', kind: 'text', max: 4000 },
  { name: 'postCall', column: 'post_call', kind: 'text', max: 4000 },
  { name: 'banner', column: 'banner', kind: 'text', max: 4000 },
  { name: 'regComment', column: 'reg_comment', kind: 'text', max: 4000 },
] as const satisfies readonly EditableField<string>[];
