/**
 * The one envelope writer. Every answer of /_access — success or error, JSON or
 * XML — is produced here from a result tree.
 *
 * JSON: {"message":"","value":<result>,"code":0}  (code is a JSON number, DESIGN.md)
 * XML:  <?xml …?><document><value>…</value><code>0</code><message></message></document>
 */
import { TreeList, type Tree } from './tree.js';

export type Format = 'json' | 'xml';

export const contentTypes: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
};

/** Renders one envelope. `value` is null on error. */
export function renderEnvelope(format: Format, code: number, message: string, value: Tree): string {
  if (format === 'json') return JSON.stringify({ message, value, code });
  return (
    '<?xml version="1.0" encoding="UTF-8"?><document><value>' +
    xmlContent(value) +
    '</value><code>' +
    String(code) +
    '</code><message>' +
    escapeXmlText(message) +
    '</message></document>'
  );
}

/** The inner XML of an element holding `node`. */
function xmlContent(node: Tree): string {
  if (node === null) return '';
  if (typeof node === 'string') return escapeXmlText(node);
  if (typeof node === 'number') return Number.isFinite(node) ? String(node) : '';
  if (typeof node === 'boolean') return node ? 'true' : 'false';
  if (node instanceof TreeList) {
    // A list that is the whole value (rare) renders its items by item name.
    return xmlItems(node.item || 'item', node);
  }
  let out = '';
  for (const field in node) {
    const child = node[field] as Tree;
    if (child instanceof TreeList) {
      out += child.wrapped ? `<${field}>${xmlItems(child.item, child)}</${field}>` : xmlItems(field, child);
    } else {
      out += `<${field}>${xmlContent(child)}</${field}>`;
    }
  }
  return out;
}

function xmlItems(name: string, list: TreeList): string {
  let out = '';
  for (const item of list.items) out += `<${name}>${xmlContent(item)}</${name}>`;
  return out;
}

// Characters that need escaping, or that XML 1.0 cannot carry at all
// (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF).
const needsWork = /[&<>\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const notXmlChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text content; characters XML 1.0 cannot carry are dropped, never emitted. */
export function escapeXmlText(text: string): string {
  if (!needsWork.test(text)) return text;
  return text.replace(notXmlChar, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
