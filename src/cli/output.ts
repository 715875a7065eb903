/**
 * How the API commands print a result: JSON for scripts (`--json`), otherwise
 * a key-value list for an object and aligned tables for its lists of objects.
 */

type Value = unknown;

/**
 * What a terminal would act on rather than show: C0 controls (ESC starts the sequences that move the
 * cursor, clear the screen, set the window title or write the clipboard; CR overwrites the line), DEL,
 * C1 controls (U+009B is a one-character CSI to some terminals) and the bidirectional overrides and
 * isolates that show text in another order than it is (U+202A–U+202E, U+2066–U+2069). Tab and line feed
 * are layout, kept. A conference's name, a person's notes or a server's message are anyone's text: the
 * API carries them exactly, and the CLI must not let them drive the terminal it prints to.
 */
const terminalControls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const escaped = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every character a terminal would act on shown as its `\uXXXX` escape. */
export function terminalSafe(text: string): string {
  return text.replace(terminalControls, escaped);
}

/**
 * JSON for a terminal or a pipe: JSON.stringify escapes C0 controls already; DEL, C1 controls and the
 * bidi controls become `\uXXXX` escapes too, which read back as the same string.
 */
export function terminalSafeJson(value: Value, space?: number): string {
  return String(JSON.stringify(value, null, space)).replace(terminalControls, escaped);
}

/** Columns worth showing for lists of known objects; other lists show every scalar field. */
const tableColumns: Record<string, readonly string[]> = {
  conference: ['UID', 'status', 'scheduledStartTime', 'name'],
  person: ['UID', 'PIN', 'role', 'name', 'email'],
  reservation: ['UID', 'startTime', 'endTime', 'duration', 'estimateCaller'],
  caller: ['UID', 'ANI', 'PIN', 'role', 'name', 'startTime', 'endTime'],
};

const isRecord = (v: Value): v is Record<string, Value> => typeof v === 'object' && v !== null && !Array.isArray(v);

function scalar(v: Value): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.every((item) => !isRecord(item)) ? v.map(scalar).join(', ') : `${v.length} items`;
  if (isRecord(v)) return typeof v.UID === 'string' ? terminalSafe(v.UID) : terminalSafeJson(v);
  return terminalSafe(String(v));
}

/** An aligned table with a header row; `(none)` for no rows. */
export function formatTable(rows: readonly Record<string, Value>[], columns?: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cols =
    columns ?? Object.keys(rows[0]!).filter((k) => rows.every((row) => !isRecord(row[k]) && !Array.isArray(row[k])));
  const cells = [
    cols.map((c) => terminalSafe(c)),
    ...rows.map((row) => cols.map((c) => scalar(row[c]).replace(/\s*\n\s*/g, ' '))),
  ];
  const widths = cols.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells
    .map((line) =>
      line
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** An object as `key  value` lines, then a titled table for each list of objects in it. */
export function formatRecord(record: Record<string, Value>): string {
  // Empty text, null and empty lists say nothing to a reader: left out (--json shows every field).
  const shown = Object.entries(record).filter(
    ([, v]) => v !== '' && v !== null && !(Array.isArray(v) && v.length === 0),
  );
  const simple = shown.filter(([, v]) => !(Array.isArray(v) && v.some(isRecord)) && !isRecord(v));
  const width = Math.max(0, ...simple.map(([k]) => k.length));
  const lines = simple.map(([k, v]) => `${terminalSafe(k).padEnd(width)}  ${scalar(v)}`.trimEnd());
  for (const [k, v] of shown) {
    if (isRecord(v)) lines.push('', `${terminalSafe(k)}:`, indent(formatRecord(v)));
    else if (Array.isArray(v) && v.some(isRecord)) {
      lines.push('', `${terminalSafe(k)}:`, indent(formatTable(v as Record<string, Value>[], tableColumns[k])));
    }
  }
  return lines.join('\n');
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');

/** Formats a result for a person to read. A list result (`{conference:[…]}`) is one table. */
export function formatHuman(value: Value): string {
  if (isRecord(value)) {
    const keys = Object.keys(value);
    const only = keys.length === 1 ? value[keys[0]!] : undefined;
    if (Array.isArray(only)) return formatTable(only as Record<string, Value>[], tableColumns[keys[0]!]);
    return formatRecord(value);
  }
  return scalar(value);
}

/** Prints a result: pretty JSON with `--json`, readable text otherwise. */
export function printResult(value: Value, json: boolean): void {
  process.stdout.write(json ? `${terminalSafeJson(value, 2)}\n` : `${formatHuman(value)}\n`);
}
