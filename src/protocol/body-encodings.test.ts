/**
 * Bytes that are not UTF-8 in a parameter — an overlong form, a surrogate encoded in three bytes, a
 * truncated sequence, Latin-1 sent without its charset — escaped or raw, in a form, a multipart part or a
 * JSON body: a -2 naming the parameter, with nothing written, on each front (raw socket, node:http,
 * Fastify). They used to be stored as U+FFFD, the text sent lost for good. A byte order mark before
 * a form body is skipped, as before a JSON body. A compressed body (Content-Encoding) is a -2 that says
 * so: nothing is decompressed, and read as it came it named no parameter (-5, as if the key were wrong).
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';

const fronts = [
  ['the raw-socket front', {}],
  ['the node:http front', { rawFront: false }],
  ['Fastify', { accessFront: false }],
] as const;

/** Percent-escaped and raw byte sequences that no UTF-8 decoder may read as text. */
const invalid: [string, Buffer][] = [
  ['an overlong "/" (%C0%AF)', Buffer.from('%C0%AF')],
  ['an overlong NUL (%C0%80)', Buffer.from('%C0%80')],
  ['a surrogate in three bytes (%ED%A0%80)', Buffer.from('a%ED%A0%80b')],
  ['a truncated sequence (%E2%82)', Buffer.from('price %E2%82')],
  ['Latin-1 without its charset (%E9)', Buffer.from('caf%E9')],
  ['a raw 0xFF byte', Buffer.from([0x61, 0xff, 0x62])],
  ['raw overlong bytes', Buffer.from([0xc0, 0xaf])],
];

describe.each(fronts)('bytes that are not UTF-8, through %s', (_front, options) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(options);
  });
  afterAll(() => server?.close());

  const count = async () => {
    const rows = await server.services.store.db
      .selectFrom('conferences')
      .select((eb) => eb.fn.countAll().as('n'))
      .execute();
    return Number(rows[0]!.n);
  };
  const credentials = () => `customer=${server.credentials.customer}&key=${server.credentials.key}&type=json`;
  const post = async (body: Buffer, contentType: string, headers: Record<string, string> = {}, status = 200) => {
    const response = await fetch(`${server.url}/_access/createConferenceReservationless?type=json`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...headers },
      body: new Uint8Array(body),
    });
    expect(response.status).toBe(status);
    return (await response.json()) as { code: number; message: string; value: unknown };
  };
  const refusal = {
    code: -2,
    value: null,
    message: expect.stringMatching(/^name must be valid UTF-8 text: it holds bytes that are not UTF-8/),
  };

  it('refuses them in a form body, escaped or raw, with -2 and writes nothing', async () => {
    const before = await count();
    for (const [what, bytes] of invalid) {
      const body = Buffer.concat([Buffer.from(`${credentials()}&name=`), bytes]);
      expect(await post(body, 'application/x-www-form-urlencoded'), what).toEqual(refusal);
    }
    expect(await count()).toBe(before);
  });

  it('refuses them in a JSON body and in a multipart part, and writes nothing', async () => {
    const before = await count();
    const { customer, key } = server.credentials;
    const json = Buffer.concat([
      Buffer.from(`{"customer":"${customer}","key":"${key}","type":"json","name":"a`),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('"}'),
    ]);
    expect(await post(json, 'application/json')).toEqual(refusal);
    const part = (name: string, value: Buffer | string) =>
      Buffer.concat([
        Buffer.from(`--b\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
        Buffer.from(value),
        Buffer.from('\r\n'),
      ]);
    const multipart = Buffer.concat([
      part('customer', customer),
      part('key', key),
      part('type', 'json'),
      part('name', Buffer.from([0x61, 0xc0, 0xaf])),
      Buffer.from('--b--\r\n'),
    ]);
    expect(await post(multipart, 'multipart/form-data; boundary=b')).toEqual(refusal);
    expect(await count()).toBe(before);
  });

  it('reads a form body that starts with a byte order mark (it hid the first name: -5)', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
      const answer = await post(Buffer.concat([bom, Buffer.from(`${credentials()}&name=Marked`)]), type);
      expect(answer, type).toMatchObject({ code: 0, value: { name: 'Marked' } });
    }
    // Only at the start: one inside a value is the value's.
    const inside = await post(Buffer.from(`${credentials()}&name=a%EF%BB%BFb`), 'application/x-www-form-urlencoded');
    expect(inside).toMatchObject({ code: 0, value: { name: 'a\ufeffb' } });
  });

  it('refuses a compressed body with HTTP 400 and -2 that says so, in the format asked for, and writes nothing', async () => {
    const before = await count();
    const form = Buffer.from(`${credentials()}&name=Zipped`);
    for (const [encoding, body] of [
      ['gzip', gzipSync(form)],
      ['GZIP', gzipSync(form)],
      ['deflate', form],
      ['br', form],
    ] as const) {
      for (const type of ['application/x-www-form-urlencoded', 'application/json', 'text/plain']) {
        // Refused before the body is read, as a body over the limit is: HTTP 400 with the envelope.
        const answer = await post(body, type, { 'content-encoding': encoding }, 400);
        expect(answer, `${encoding} ${type}`).toEqual({
          code: -2,
          value: null,
          message: `malformed request: a body with Content-Encoding "${encoding}" cannot be read: send it uncompressed`,
        });
      }
    }
    // In XML when nothing asks for JSON; identity is no compression.
    const xml = await fetch(`${server.url}/_access/getCustomer`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
      body: new Uint8Array(gzipSync(Buffer.from('type=json'))),
    });
    expect(await xml.text()).toContain('<code>-2</code><message>malformed request: a body with Content-Encoding');
    const identity = await post(form, 'application/x-www-form-urlencoded', { 'content-encoding': 'identity' });
    expect(identity).toMatchObject({ code: 0, value: { name: 'Zipped' } });
    expect(await count()).toBe(before + 1);
  });

  it('still reads UTF-8 exactly, and Latin-1 that names its charset', async () => {
    const text = 'Zoë & 漢字 🎉 100% sure';
    const utf8 = await post(
      Buffer.from(`${credentials()}&name=${encodeURIComponent(text).replace('%25', '%')}`),
      'application/x-www-form-urlencoded',
    );
    expect(utf8).toMatchObject({ code: 0, value: { name: text } });
    const latin1 = await post(
      Buffer.from(`${credentials()}&name=caf%E9`),
      'application/x-www-form-urlencoded; charset=ISO-8859-1',
    );
    expect(latin1).toMatchObject({ code: 0, value: { name: 'café' } });
  });
});
