/**
 * Gathers a request's parameters (DESIGN.md): the query string, then the body
 * — form-urlencoded, multipart form fields, or (extension) a JSON object.
 * Body values win over query values. Every value becomes text.
 */
import { ParameterError } from '../errors.js';

export type Params = Record<string, string>;

/**
 * The prototype of every parameters object: itself without a prototype, so
 * no name (`__proto__`, `toString`, `constructor`) means anything but a
 * parameter, as with `Object.create(null)` — but an object made with `new`
 * stays in V8's fast mode, where `Object.create(null)` starts as a
 * dictionary: adding and reading the few parameters of a request, and
 * walking them, about 0.85 -> 0.45 µs a request.
 */
const ParamsObject = function (this: Params) {} as unknown as new () => Params;
ParamsObject.prototype = Object.create(null) as Params;

/** An empty parameters object: no inherited names. */
export function emptyParams(): Params {
  return new ParamsObject();
}

/** Most parameters any function takes (createConferenceReserved's numbered items included). */
export const maxParams = 400;

/**
 * A refusal of a request's parameters as a whole (too many, a value that is
 * an object), carrying the `type` they asked for, so the refusal still comes
 * in that format.
 */
export class ParamsRefusal extends ParameterError {
  constructor(
    message: string,
    readonly type: string | undefined,
  ) {
    super(message);
  }
}

/**
 * A value as text; `null` for a value that is an object (no parameter can be one). An array is
 * its last item, unwrapped in a loop: a body of arrays nested thousands deep (it fits in 64 KiB)
 * would overflow the stack of a recursive unwrap and lose the request's every parameter.
 */
function toText(value: unknown): string | undefined | null {
  while (Array.isArray(value)) value = value.at(-1);
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/**
 * Adds the text values of a parsed object (a JSON body, a parsed query) to
 * `into`. A value that is an object is refused (ParamsRefusal), not dropped:
 * dropping it would run the call without it.
 */
export function mergeParams(into: Params, source: unknown): void {
  if (source === null || typeof source !== 'object') return;
  let refused: string | undefined;
  for (const [name, value] of Object.entries(source)) {
    const text = toText(value);
    if (text === null) refused ??= name;
    else if (text !== undefined) into[name] = text;
  }
  if (refused !== undefined) {
    throw new ParamsRefusal(`${refused.slice(0, 64)} must be text, a number or a boolean, not an object`, into.type);
  }
}

/** The parameters of a request, body over query. */
export function collectParams(query: unknown, body: unknown): Params {
  const params = emptyParams();
  mergeParams(params, query);
  mergeParams(params, body);
  checkParamCount(params);
  return params;
}

/**
 * Adds a /_access request's parsed JSON body to `into` (mergeParams). A body
 * that is an array, a scalar or `null` names no parameter: it is refused
 * (ParamsRefusal), not read as "no parameters", which would run the call on
 * the query's parameters alone (or an array's items as parameters "0", "1" …).
 * `undefined` is a request without a body (a GET); only a JSON body parses
 * to `null`.
 */
export function mergeBodyParams(into: Params, body: unknown): void {
  if (body === null || (body !== undefined && (typeof body !== 'object' || Array.isArray(body)))) {
    throw new ParamsRefusal('a JSON body must be an object of parameters ({"name": "value", …})', into.type);
  }
  mergeParams(into, body);
}

/** The parameters of a /_access request, body over query; a body that is an array or a scalar is refused. */
export function collectAccessParams(query: unknown, body: unknown): Params {
  const params = emptyParams();
  mergeParams(params, query);
  mergeBodyParams(params, body);
  checkParamCount(params);
  return params;
}

/** `String.prototype.isWellFormed` (Node 20; the ES2024 library types are not in use here). */
type WellFormedCheck = string & { isWellFormed(): boolean };

/**
 * Refuses a NUL character in any parameter: PostgreSQL cannot store U+0000 in
 * text, so this keeps every function's answer the same on both databases.
 * Refuses an unpaired surrogate too (only a JSON `\uD800` escape makes one):
 * it is no character at all, and the databases would keep it differently
 * (SQLite as three U+FFFD read back, PostgreSQL as one). And U+FFFD, the
 * replacement character: it is what decoding leaves for bytes that are not
 * UTF-8 — an overlong form (`%C0%AF` for `/`), a surrogate encoded in three
 * bytes (`%ED%A0%80`), a truncated sequence, Latin-1 bytes sent without their
 * charset — in a form, a multipart part or a JSON body alike; stored, the text
 * sent would be lost for good behind a character nobody typed.
 */
export function refuseNulCharacters(params: Params): void {
  // No inherited names (emptyParams): for-in walks exactly the parameters, in order, without arrays.
  for (const name in params) {
    const value = params[name]!;
    if (value.includes('\u0000')) {
      throw new ParameterError(`${name.slice(0, 64)} must not contain a NUL character`);
    }
    // V8 answers both at once for a one-byte (Latin-1) string, as nearly every parameter is.
    if (!(value as WellFormedCheck).isWellFormed()) {
      throw new ParameterError(
        `${name.slice(0, 64)} must be valid Unicode text: it holds an unpaired surrogate (\\uD800–\\uDFFF)`,
      );
    }
    if (value.includes('\uFFFD')) {
      throw new ParameterError(
        `${name.slice(0, 64)} must be valid UTF-8 text: it holds bytes that are not UTF-8 (or U+FFFD, what they decode to); ` +
          'send UTF-8, or name the charset of a form (charset=ISO-8859-1)',
      );
    }
  }
}

/** Parses an application/x-www-form-urlencoded body (repeated names: the last wins). */
export function parseFormBody(body: string): Params {
  const params = emptyParams();
  addFormParams(params, body);
  return params;
}

/** The charset a content type names (`…; charset=ISO-8859-1`), in lower case; null when it names none. */
export function contentCharset(contentType: string | undefined): string | null {
  const match = contentType === undefined ? null : /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType);
  return match ? match[1]!.toLowerCase() : null;
}

/**
 * Parses a form body as its content type's charset says. Without one, or
 * with UTF-8, it is UTF-8 (parseFormBody), what every current client sends.
 * A form sent in another charset (a Latin-1 client writes `%E9` for é and
 * says `charset=ISO-8859-1`) has its escapes and bytes read in that charset,
 * as a servlet container did, instead of as invalid UTF-8 (U+FFFD). A charset
 * that cannot carry a form (UTF-16: `&` and `=` are not single bytes) or that
 * is unknown is a ParameterError: guessing would store other text than sent.
 */
export function parseFormBodyIn(body: Buffer, contentType: string | undefined): Params {
  const charset = contentCharset(contentType);
  if (charset === null || charset === '' || charset === 'utf-8' || charset === 'utf8') {
    return parseFormBody(body.toString('utf8'));
  }
  let decoder: TextDecoder | undefined;
  try {
    decoder = new TextDecoder(charset);
  } catch {
    decoder = undefined;
  }
  if (decoder === undefined || decoder.encoding.startsWith('utf-16')) {
    throw new ParameterError(`a form body in charset "${charset.slice(0, 40)}" cannot be read; send it in UTF-8`);
  }
  if (decoder.encoding === 'utf-8') return parseFormBody(body.toString('utf8'));
  const params = emptyParams();
  // One character a byte: the separators are ASCII in every charset this reads.
  const text = body.toString('latin1');
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decodeBytes(equals < 0 ? pair : pair.slice(0, equals), decoder);
    params[name] = equals < 0 ? '' : decodeBytes(pair.slice(equals + 1), decoder);
  }
  return params;
}

const hexDigit = /^[0-9a-fA-F]{2}$/;

/** Percent-decodes a name or value whose characters are bytes (latin1), then decodes the bytes with `decoder`. */
function decodeBytes(text: string, decoder: TextDecoder): string {
  const bytes = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25 && hexDigit.test(text.slice(i + 1, i + 3))) {
      bytes[n++] = parseInt(text.slice(i + 1, i + 3), 16);
      i += 2;
    } else {
      bytes[n++] = code === 0x2b ? 0x20 : code;
    }
  }
  return decoder.decode(bytes.subarray(0, n));
}

/**
 * How a value is percent-decoded. `form`: as URLSearchParams does (an invalid
 * escape stays as it is, bytes that are not UTF-8 become U+FFFD), what
 * form bodies always got. `query`: as Fastify's query-string parser does
 * (a value with any invalid escape or invalid UTF-8 stays entirely undecoded).
 */
export type Decoding = 'form' | 'query';

const plus = /\+/g;

function decodeForm(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Rare: an invalid escape or bytes that are not UTF-8. URLSearchParams has the exact rule.
    return new URLSearchParams(`a=${text}`).get('a') ?? '';
  }
}

function decodeQuery(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Adds the `name=value` pairs of `text` (a form body or a query string) to
 * `into`, in one pass: `+` is a space, percent-escapes are decoded by
 * `decoding`, a repeated name keeps its first position and its last value.
 */
export function addFormParams(into: Params, text: string, decoding: Decoding = 'form'): void {
  const length = text.length;
  // A byte order mark before a form body (what some Windows tools write before any text) is no part of
  // the first name: read as one, it hid `customer` and the call answered -5. A JSON body's is skipped too.
  let start = decoding === 'form' && text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (start <= length) {
    let end = text.indexOf('&', start);
    if (end < 0) end = length;
    if (end > start) {
      const equals = text.indexOf('=', start);
      const split = equals >= 0 && equals < end ? equals : -1;
      let name = text.slice(start, split < 0 ? end : split);
      let value = split < 0 ? '' : text.slice(split + 1, end);
      if (name.includes('+')) name = name.replace(plus, ' ');
      if (value.includes('+')) value = value.replace(plus, ' ');
      if (name.includes('%')) name = decoding === 'form' ? decodeForm(name) : decodeQuery(name);
      if (value.includes('%')) value = decoding === 'form' ? decodeForm(value) : decodeQuery(value);
      into[name] = value;
    }
    start = end + 1;
  }
}

/** Refuses more than `maxParams` parameters (what collectParams checks). */
export function checkParamCount(params: Params): void {
  // Counted without building the array of names (Object.keys) on every request.
  let count = 0;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- only the names are counted
  for (const name in params) {
    if (++count > maxParams) throw new ParamsRefusal(`too many parameters (at most ${maxParams})`, params.type);
  }
}

/**
 * Parses the text fields of a multipart/form-data body — what PHP's curl sends
 * when CURLOPT_POSTFIELDS is given an array. File parts are ignored.
 */
export function parseMultipartBody(body: string, contentType: string): Params {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw new ParameterError('multipart body without a boundary');
  const params = emptyParams();
  for (const part of body.split(`--${marker}`)) {
    // RFC 2046 says CRLF; some hand-written clients (and scripts run through a Unix shell) send bare LFs.
    // The first blank line ends a part's headers either way, so both read the same.
    const blank = /\r?\n\r?\n/.exec(part);
    if (blank === null) continue;
    const headers = part.slice(0, blank.index);
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined || /\bfilename=/i.test(headers)) continue;
    params[name] = part.slice(blank.index + blank[0].length).replace(/\r?\n$/, '');
  }
  return params;
}
