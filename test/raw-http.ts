/** Reading raw HTTP/1.1 answers for the tests that compare two fronts byte for byte. */
import { expect } from 'vitest';

const imfDate = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** The answers with what differs between two servers by design masked: Date's value (checked), request ids. */
export function comparable(answers: string): string {
  const ids: string[] = [];
  let text = answers.replace(/\r\nDate: ([^\r]+)/g, (_, date: string) => {
    expect(date).toMatch(imfDate);
    return '\r\nDate: <date>';
  });
  text = text.replace(/\r\nx-request-id: ([^\r]+)/gi, (_, id: string) => {
    if (!ids.includes(id)) ids.push(id);
    return `\r\nx-request-id: <id ${ids.indexOf(id)}>`;
  });
  return text;
}

/** Splits what a connection received into answers (a head, then its Content-Length of body). */
export function answersIn(data: Buffer): { answers: Buffer[]; rest: Buffer } {
  const answers: Buffer[] = [];
  let rest = data;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(rest.subarray(0, end).toString('latin1'))?.[1] ?? 0);
    if (rest.length < end + 4 + length) break;
    answers.push(rest.subarray(0, end + 4 + length));
    rest = rest.subarray(end + 4 + length);
  }
  return { answers, rest };
}
