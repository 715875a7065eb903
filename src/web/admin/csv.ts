/**
 * CSV as spreadsheets write it (RFC 4180): fields separated by commas,
 * quoted with double quotes when they hold a comma, a quote or a line break.
 */

/** Parses CSV text into rows of fields. A byte-order mark and a final empty line are ignored. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const input = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

/** Rows after a header row, as records keyed by the header's names (lowercased, trimmed). */
export function csvRecords(rows: readonly string[][]): { header: string[]; records: Record<string, string>[] } {
  const [head, ...rest] = rows;
  const header = (head ?? []).map((h) => h.trim().toLowerCase());
  const records = rest.map((r) => {
    const record: Record<string, string> = Object.create(null) as Record<string, string>;
    header.forEach((name, i) => (record[name] = r[i] ?? ''));
    return record;
  });
  return { header, records };
}

function quote(value: string): string {
  // A leading =, @, tab or CR, or a + or - that does not start a plain number, would run as a
  // formula in a spreadsheet (-1+cmd|'/C calc'!A0 too): prefix it with a quote mark. Phone
  // numbers like +1 (555) 010-0100 and numbers like -15 stay as they are.
  const formula = /^[=@\t\r]/.test(value) || (/^[+-]/.test(value) && !/^[+-][\d\s().-]*$/.test(value));
  const safe = formula ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Writes rows as CSV, CRLF line ends (what spreadsheets expect). */
export function formatCsv(rows: readonly (readonly (string | number)[])[]): string {
  return rows.map((r) => r.map((v) => quote(String(v))).join(',')).join('\r\n') + '\r\n';
}
