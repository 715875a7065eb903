import { describe, expect, it } from 'vitest';
import { formatCsv, parseCsv } from './csv.js';

describe('formatCsv', () => {
  it('defuses every cell a spreadsheet would run as a formula, and leaves numbers and phone numbers alone', () => {
    const risky = ['=1+1', '@SUM(A1)', '+cmd|calc', "-1+cmd|' /C calc'!A0", '+1+HYPERLINK("x")', '\tx', '\rx'];
    const plain = ['+1 (555) 010-0100', '-15', '+44 20 7946 0958', 'Ann Lee', '1-2', ''];
    const csv = formatCsv([risky, plain]);
    const [first, second] = parseCsv(csv);
    expect(first).toEqual(risky.map((value) => `'${value}`));
    expect(second).toEqual(plain);
  });
});
