/**
 * Importing registrants from a table (the site's CSV import): each row is
 * checked the way addPerson checks its parameters, so the preview shows the
 * API's own messages, then every good row goes through addPerson itself (a
 * PIN each, exactly as the API allocates it).
 */
import type { CallContext } from '../context.js';
import { ApiError, ParameterError } from '../errors.js';
import { parseRole } from '../protocol/params.js';
import { requireEmailAddress } from './email-address.js';
import { addPerson, personFieldLimits, type NewPersonInput } from './persons.js';

/** The columns an import reads (a header row names them, in any order and case). */
export const importColumns = ['name', 'email', 'role', 'notes', 'custom1', 'custom2'] as const;
/** Most rows one import takes. */
export const maxImportRows = 5000;

export interface ImportRow {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  input?: Omit<NewPersonInput, 'conference'>;
  error?: string;
}

/**
 * Checks each record (column name → text); the first record is line 2 (after the header).
 * A row whose email is `registered` already (lower case: the conference's registrants), or
 * repeats an earlier row's, is refused with a message saying so: importing a file twice (or
 * sending the confirmation again) adds nobody twice.
 */
export function checkImportRows(
  records: readonly Record<string, string>[],
  registered: ReadonlySet<string> = new Set(),
): ImportRow[] {
  if (records.length > maxImportRows) throw new ParameterError(`at most ${maxImportRows} rows can be imported at once`);
  const lines = new Map<string, number>();
  return records.map((record, index) => {
    const line = index + 2;
    try {
      const text = (name: (typeof importColumns)[number]) => (record[name] ?? '').trim();
      for (const field of ['name', 'notes', 'custom1', 'custom2'] as const) {
        if (text(field).length > personFieldLimits[field]) {
          throw new ParameterError(`${field} must be at most ${personFieldLimits[field]} characters`);
        }
      }
      const email = text('email') === '' ? undefined : requireEmailAddress(text('email'), 'email');
      if (email !== undefined) {
        const lower = email.toLowerCase();
        if (registered.has(lower)) throw new ParameterError(`${email} is registered for this conference already`);
        const earlier = lines.get(lower);
        if (earlier !== undefined) throw new ParameterError(`${email} is on line ${earlier} already`);
        lines.set(lower, line);
      }
      const input = {
        role: parseRole(text('role') || 'PARTICIPANT'),
        name: text('name'),
        email,
        notes: text('notes'),
        custom1: text('custom1'),
        custom2: text('custom2'),
      };
      return { line, input };
    } catch (error) {
      if (error instanceof ApiError) return { line, error: error.message };
      throw error;
    }
  });
}

/** The registrants' email addresses in lower case, for checkImportRows. */
export function registeredEmails(persons: readonly { email: string }[]): Set<string> {
  return new Set(persons.filter((p) => p.email !== '').map((p) => p.email.toLowerCase()));
}

/** Adds every good row through addPerson; returns how many were added and the rows that failed. */
export async function importPersons(
  ctx: CallContext,
  conferenceUid: string,
  rows: readonly ImportRow[],
): Promise<{ added: number; failed: ImportRow[] }> {
  let added = 0;
  const failed: ImportRow[] = [];
  for (const row of rows) {
    if (!row.input) {
      failed.push(row);
      continue;
    }
    try {
      // Imported on the administration site: its events say so.
      await addPerson(ctx, { ...row.input, conference: conferenceUid, source: 'admin' });
      added++;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      failed.push({ line: row.line, error: error.message });
    }
  }
  return { added, failed };
}
