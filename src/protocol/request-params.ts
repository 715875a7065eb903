/**
 * Gathers a request's parameters (DESIGN.md): the query string, then the body
 * — form-urlencoded, multipart form fields, or (extension) a JSON object.
 * Body values win over query values. Every value becomes text.
 */
import { ParameterError } from '../errors.js';

export type Params = Record<string, string>;

/** Most parameters any function takes (createConferenceReserved's numbered items included). */
export const maxParams = 400;

function toText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return toText(value.at(-1));
  return undefined;
}

function merge(into: Params, source: unknown): void {
  if (source === null || typeof source !== 'object') return;
  for (const [name, value] of Object.entries(source)) {
    const text = toText(value);
    if (text !== undefined) into[name] = text;
  }
}

/** The parameters of a request, body over query. */
export function collectParams(query: unknown, body: unknown): Params {
  const params: Params = Object.create(null) as Params;
  merge(params, query);
  merge(params, body);
  if (Object.keys(params).length > maxParams) {
    throw new ParameterError(`too many parameters (at most ${maxParams})`);
  }
  return params;
}

/**
 * Refuses a NUL character in any parameter: PostgreSQL cannot store U+0000 in
 * text, so this keeps every function's answer the same on both databases.
 */
export function refuseNulCharacters(params: Params): void {
  for (const [name, value] of Object.entries(params)) {
    if (value.includes('\u0000')) throw new ParameterError(`${name.slice(0, 64)} must not contain a NUL character`);
  }
}

/** Parses an application/x-www-form-urlencoded body (repeated names: the last wins). */
export function parseFormBody(body: string): Params {
  const params: Params = Object.create(null) as Params;
  for (const [name, value] of new URLSearchParams(body)) params[name] = value;
  return params;
}

/**
 * Parses the text fields of a multipart/form-data body — what PHP's curl sends
 * when CURLOPT_POSTFIELDS is given an array. File parts are ignored.
 */
export function parseMultipartBody(body: string, contentType: string): Params {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw new ParameterError('multipart body without a boundary');
  const params: Params = Object.create(null) as Params;
  for (const part of body.split(`--${marker}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined || /\bfilename=/i.test(headers)) continue;
    params[name] = part.slice(split + 4).replace(/\r\n$/, '');
  }
  return params;
}
