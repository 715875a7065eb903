import { ParameterError } from '../errors.js';

/** Nothing a reader could see: spaces of any kind, controls and invisible format characters (U+200B, U+FEFF …). */
const blank = /^[\p{White_Space}\p{Cc}\p{Cf}]*$/u;

/**
 * What a one-line name cannot hold: the controls (C0 but tab, DEL, C1 — CR, LF and NEL among them) and the
 * Unicode line and paragraph separators. A tab stays: it breaks no line (a name is kept as sent, its spaces too).
 */
const lineBreaking = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/u;

/**
 * The one rule for a name, whichever door it comes in by (API, site, CLI, import, bridge): a conference's
 * name, a person's name, a custom value's key. A name is one line a reader sees on every page, list, email
 * subject, calendar entry and table: so it may not be blank (spaces alone, or invisible characters, would
 * show as no name) and may not hold a control or a line break (a CR or LF would split a subject, a log
 * line or a table row). Any other name is kept exactly as sent, its spaces too. `label` names the
 * parameter in the -2's message. An optional name may be empty (no name); a required one may not.
 */
export function checkName(label: string, value: string, limit: number, required: boolean): void {
  if (value === '') {
    if (required) throw new ParameterError(`${label} must be 1 to ${limit} characters`);
    return;
  }
  if (value.length > limit) {
    throw new ParameterError(
      required ? `${label} must be 1 to ${limit} characters` : `${label} must be at most ${limit} characters`,
    );
  }
  if (blank.test(value)) throw new ParameterError(`${label} must not be blank`);
  if (lineBreaking.test(value)) throw new ParameterError(`${label} must not contain control characters or line breaks`);
}

/** True when a reader would see nothing: empty, spaces of any kind, controls or invisible characters alone. */
export function isBlank(text: string): boolean {
  return blank.test(text);
}

/**
 * A one-line text that comes from outside any client's reach and must be taken, not refused: a caller's
 * number as the telephone network gave it (a spoofed caller ID can carry anything). Its controls and line
 * breaks are dropped, so it cannot split a log line, a table row or a CSV cell where it is shown.
 */
export function oneLine(text: string): string {
  return text.replace(new RegExp(lineBreaking.source, 'gu'), '');
}
