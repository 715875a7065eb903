import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { escapeXmlText, renderEnvelope } from './envelope.js';
import { list, repeated } from './tree.js';

describe('renderEnvelope', () => {
  it('writes the JSON envelope with a numeric code and message first', () => {
    expect(renderEnvelope('json', 0, '', { UID: 'A' })).toBe('{"message":"","value":{"UID":"A"},"code":0}');
  });

  it('writes null as the value of an error', () => {
    expect(renderEnvelope('json', -2, 'bad', null)).toBe('{"message":"bad","value":null,"code":-2}');
  });

  it('writes the XML envelope with declaration, value, code and message', () => {
    expect(renderEnvelope('xml', 0, '', { PIN: '012345', reserved: false, n: 3, none: null })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><document><value><PIN>012345</PIN><reserved>false</reserved>' +
        '<n>3</n><none></none></value><code>0</code><message></message></document>',
    );
  });

  it('wraps a spec array field and names each item', () => {
    const xml = renderEnvelope('xml', 0, '', { persons: list('UID', ['A', 'B']), tags: list('conferenceTag', []) });
    expect(xml).toContain('<persons><UID>A</UID><UID>B</UID></persons><tags></tags>');
  });

  it('renders a frozen list (as the cache holds it) exactly as the same list unfrozen, short and long', () => {
    for (const n of [0, 3, 16, 17, 2000]) {
      const uids = Array.from({ length: n }, (_, i) => `P${String(i).padStart(14, '0')}`);
      const value = { UID: 'C1', persons: list('UID', uids), calls: list('UID', ['A', 'B']) };
      const frozen = { UID: 'C1', persons: list('UID', Object.freeze([...uids])), calls: list('UID', ['A', 'B']) };
      const json = renderEnvelope('json', 0, '', frozen);
      expect(json).toBe(renderEnvelope('json', 0, '', value));
      expect((JSON.parse(json) as { value: { persons: string[] } }).value.persons).toEqual(uids);
      expect(renderEnvelope('xml', 0, '', frozen)).toBe(renderEnvelope('xml', 0, '', value));
    }
  });

  it('repeats a child collection bare in its parent', () => {
    const xml = renderEnvelope('xml', 0, '', { conference: repeated([{ UID: 'A' }, { UID: 'B' }]) });
    expect(xml).toContain('<value><conference><UID>A</UID></conference><conference><UID>B</UID></conference></value>');
  });

  it('renders both kinds of list as JSON arrays, with one item or none', () => {
    const json = renderEnvelope('json', 0, '', { persons: list('UID', ['A']), conference: repeated([]) });
    expect(JSON.parse(json).value).toEqual({ persons: ['A'], conference: [] });
  });

  it('escapes markup and drops characters XML 1.0 cannot carry', () => {
    const xml = renderEnvelope('xml', -2, 'a < b & "c"', { name: `<b>&'"\u0000\u0008\uFFFE\uD800 ok 🎉 é` });
    expect(xml).toContain('<name>&lt;b&gt;&amp;\'" ok 🎉 é</name>');
    expect(xml).toContain('<message>a &lt; b &amp; "c"</message>');
    const parsed = new XMLParser({ parseTagValue: false }).parse(xml);
    expect(parsed.document.value.name).toBe(`<b>&'" ok 🎉 é`);
  });

  it('leaves plain text untouched', () => {
    const text = 'Weekly sync — café';
    expect(escapeXmlText(text)).toBe(text);
  });
});
