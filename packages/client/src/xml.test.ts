import { describe, expect, it } from 'vitest';
import { parseEnvelopeXml, parseXmlDocument } from './xml.js';

const doc = (value: string, code = 0, message = '') =>
  `<?xml version="1.0" encoding="UTF-8"?><document><value>${value}</value><code>${code}</code><message>${message}</message></document>`;

describe('parseEnvelopeXml', () => {
  it('reads an error envelope: code as a number, value null', () => {
    expect(parseEnvelopeXml(doc('', -2, 'role is required'), 'Person')).toEqual({
      code: -2,
      message: 'role is required',
      value: null,
    });
  });

  it('keeps a one-item list an array and an empty one an empty array', () => {
    const value =
      '<UID>A</UID><name>Room</name><persons><UID>P1</UID></persons><calls></calls>' +
      '<custom><customValue><key>k</key><value>v</value></customValue></custom>' +
      '<setting><roleFlag><role>PARTICIPANT</role><mike>true</mike><mute>false</mute><deaf>false</deaf></roleFlag></setting>';
    const { value: conference } = parseEnvelopeXml(doc(value), 'Conference');
    expect(conference!.persons).toEqual(['P1']);
    expect(conference!.calls).toEqual([]);
    expect(conference!.custom).toEqual([{ key: 'k', value: 'v' }]);
    expect(conference!.setting).toEqual([{ role: 'PARTICIPANT', mike: true, mute: false, deaf: false }]);
  });

  it('reads repeated child collections as arrays, absent ones as empty arrays', () => {
    const one = parseEnvelopeXml(doc('<conference><UID>A</UID></conference>'), 'ConferenceList').value!;
    expect(one.conference.map((c) => c.UID)).toEqual(['A']);
    const two = parseEnvelopeXml(
      doc('<conference><UID>A</UID></conference><conference><UID>B</UID></conference>'),
      'ConferenceList',
    );
    expect(two.value!.conference.map((c) => c.UID)).toEqual(['A', 'B']);
    expect(parseEnvelopeXml(doc(''), 'ConferenceList').value).toEqual({ conference: [] });
  });

  it('types numbers, booleans and nulls by the shape', () => {
    const { value } = parseEnvelopeXml(
      doc(
        '<UID>R</UID><conferenceUID>C</conferenceUID><estimateCaller>12</estimateCaller><startTime></startTime><endTime/><duration>30</duration>',
      ),
      'Reservation',
    );
    expect(value).toEqual({
      UID: 'R',
      conferenceUID: 'C',
      estimateCaller: 12,
      startTime: null,
      endTime: null,
      duration: 30,
    });
  });

  it('decodes escaped text, character references and CDATA', () => {
    const { value } = parseEnvelopeXml(
      doc('<key>a&amp;b &lt;c&gt; &#233;&#x1F600;</key><value><![CDATA[<raw> & ]]></value>'),
      'CustomValue',
    );
    expect(value).toEqual({ key: 'a&b <c> é😀', value: '<raw> & ' });
  });

  it('keeps fields it does not know, read generically', () => {
    const { value } = parseEnvelopeXml(
      doc('<key>k</key><value>v</value><extra><a>1</a><a>2</a></extra>'),
      'CustomValue',
    );
    expect(value).toEqual({ key: 'k', value: 'v', extra: { a: ['1', '2'] } });
  });

  it('reads without a result type generically', () => {
    expect(parseEnvelopeXml(doc('<UID>X</UID>')).value).toEqual({ UID: 'X' });
  });

  it('rejects malformed XML and documents that are not envelopes', () => {
    expect(() => parseEnvelopeXml('<document><value></document>')).toThrow(SyntaxError);
    expect(() => parseEnvelopeXml('<html></html>')).toThrow(/document/);
    expect(() => parseEnvelopeXml('<document><value/></document>')).toThrow(/code/);
    expect(() => parseXmlDocument('')).toThrow(SyntaxError);
    expect(() => parseXmlDocument('<a></a><b></b>')).toThrow(/second root/);
  });
});
