/**
 * Reading the XML envelope, for users who need XML on the wire. A small,
 * dependency-free reader (it runs in browsers and in Node alike) of the XML the
 * API writes: elements and text, with the declaration, comments, CDATA,
 * attributes (ignored) and character references handled. The shapes turn the
 * element tree into the same values the JSON envelope carries.
 */
import { objectShapes, type Shape } from './shapes.js';
import type { Envelope, ObjectTypes } from './types.js';

/** One element: its name, its child elements in order, and its text. */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return entities[ref] ?? whole;
  });
}

/** Parses an XML document into its root element. Throws a SyntaxError on malformed input. */
export function parseXmlDocument(text: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const fail = (why: string): never => {
    throw new SyntaxError(`malformed XML at offset ${i}: ${why}`);
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt === -1 ? text.slice(i) : text.slice(i, lt);
    if (chunk.length > 0) {
      const top = stack[stack.length - 1];
      if (top) top.text += decodeText(chunk);
      else if (chunk.trim() !== '') fail('text outside the root element');
    }
    if (lt === -1) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end === -1) fail('unterminated declaration');
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end === -1) fail('unterminated comment');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (end === -1) fail('unterminated CDATA');
      const top = stack[stack.length - 1];
      if (!top) fail('CDATA outside the root element');
      top!.text += text.slice(i + 9, end);
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      const end = text.indexOf('>', i);
      if (end === -1) fail('unterminated declaration');
      i = end + 1;
    } else if (text.startsWith('</', i)) {
      const end = text.indexOf('>', i);
      if (end === -1) fail('unterminated end tag');
      const name = text.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> does not close <${open?.name ?? ''}>`);
      i = end + 1;
    } else {
      const end = text.indexOf('>', i);
      if (end === -1) fail('unterminated start tag');
      let inner = text.slice(i + 1, end);
      const selfClosing = inner.endsWith('/');
      if (selfClosing) inner = inner.slice(0, -1);
      const name = inner.trim().split(/\s+/)[0] ?? '';
      if (name === '') fail('empty element name');
      const element: XmlElement = { name, children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) fail('a second root element');
      else root = element;
      if (!selfClosing) stack.push(element);
      i = end + 1;
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]!.name}> is not closed`);
  if (!root) fail('no root element');
  return root!;
}

/**
 * Sets `out[name]` as its own property, whatever the name: an element a server names `__proto__` would
 * otherwise replace the object's prototype (and lend it fields no answer had), one named `constructor` or
 * `toString` would be read as Object.prototype's. What JSON.parse makes of the same names.
 */
function setOwn(out: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(out, name, { value, writable: true, enumerable: true, configurable: true });
}

/** `out[name]` if it is the object's own property. */
function getOwn(out: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(out, name) ? out[name] : undefined;
}

/** Reads an element without a shape: text, or an object of its children (repeated names become arrays). */
function readGeneric(element: XmlElement): unknown {
  if (element.children.length === 0) return element.text;
  const out: Record<string, unknown> = {};
  for (const child of element.children) {
    const value = readGeneric(child);
    const existing = getOwn(out, child.name);
    if (existing === undefined) setOwn(out, child.name, value);
    else if (Array.isArray(existing)) existing.push(value);
    else setOwn(out, child.name, [existing, value]);
  }
  return out;
}

/** The value of a field that is absent from the XML (an empty list, null or empty text). */
function absent(shape: Shape): unknown {
  if (typeof shape === 'object') return 'object' in shape ? null : 'fields' in shape ? {} : [];
  if (shape.endsWith('?')) return null;
  if (shape === 'string' || shape === 'any') return '';
  return null;
}

function readShaped(element: XmlElement, shape: Shape): unknown {
  if (typeof shape === 'object') {
    if ('list' in shape) return element.children.map((child) => readShaped(child, shape.list));
    if ('repeated' in shape) return readShaped(element, shape.repeated);
    if ('fields' in shape) return readFields(element, shape.fields);
    return readObject(element, shape.object);
  }
  const text = element.text;
  switch (shape) {
    case 'string':
    case 'string, or absent':
      return text;
    case 'string?':
      return text === '' && element.children.length === 0 ? null : text;
    case 'integer':
      return Number(text);
    case 'integer?':
      return text.trim() === '' ? null : Number(text);
    case 'boolean':
      return text.trim() === 'true';
    case 'any':
      return readGeneric(element);
  }
}

/** Reads an open object: each child by its shape in `fields`, or generically; nothing absent is filled in. */
function readFields(element: XmlElement, fields: Readonly<Record<string, Shape>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const child of element.children) {
    const shape = getOwn(fields, child.name) as Shape | undefined;
    setOwn(out, child.name, shape === undefined ? readGeneric(child) : readShaped(child, shape));
  }
  return out;
}

/** Reads an element as the object type `type`, field by field; unknown fields are kept as read generically. */
export function readObject<K extends keyof ObjectTypes>(element: XmlElement, type: K): ObjectTypes[K] {
  const shape = objectShapes[type] as Record<string, Shape>;
  const out: Record<string, unknown> = {};
  for (const child of element.children) {
    const fieldShape = getOwn(shape, child.name) as Shape | undefined;
    if (fieldShape === undefined) {
      setOwn(out, child.name, readGeneric(child));
    } else if (typeof fieldShape === 'object' && 'repeated' in fieldShape) {
      const list = getOwn(out, child.name) as unknown[] | undefined;
      if (list) list.push(readShaped(child, fieldShape));
      else setOwn(out, child.name, [readShaped(child, fieldShape)]);
    } else {
      setOwn(out, child.name, readShaped(child, fieldShape));
    }
  }
  // Keep the interface's field order, and fill what XML leaves out (an empty repeated list).
  const ordered: Record<string, unknown> = {};
  for (const [field, fieldShape] of Object.entries(shape)) {
    if (Object.hasOwn(out, field)) setOwn(ordered, field, out[field]);
    else if (fieldShape !== 'string, or absent') setOwn(ordered, field, absent(fieldShape));
  }
  for (const [field, value] of Object.entries(out)) if (!Object.hasOwn(ordered, field)) setOwn(ordered, field, value);
  return ordered as unknown as ObjectTypes[K];
}

/**
 * Parses an XML envelope (`<document><value>…</value><code>…</code><message>…</message></document>`)
 * into the same `{ message, value, code }` the JSON envelope gives. `resultType` names the object
 * the value holds (`Person`, `ConferenceList` …); without it the value is read generically.
 */
export function parseEnvelopeXml<K extends keyof ObjectTypes>(text: string, resultType: K): Envelope<ObjectTypes[K]>;
export function parseEnvelopeXml(text: string): Envelope<unknown>;
export function parseEnvelopeXml(text: string, resultType?: keyof ObjectTypes): Envelope<unknown> {
  const document = parseXmlDocument(text);
  if (document.name !== 'document') throw new SyntaxError(`expected <document>, got <${document.name}>`);
  const field = (name: string) => document.children.find((child) => child.name === name);
  const codeElement = field('code');
  const code = Number(codeElement?.text.trim());
  if (!codeElement || !Number.isInteger(code)) throw new SyntaxError('the envelope has no numeric <code>');
  const message = field('message')?.text ?? '';
  const valueElement = field('value');
  let value: unknown = null;
  if (code === 0 && valueElement) {
    value = resultType ? readObject(valueElement, resultType) : readGeneric(valueElement);
  }
  return { message, value, code };
}
