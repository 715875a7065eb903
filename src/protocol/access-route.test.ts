import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, parseXml, startTestServer, type TestServer } from '../../test/harness.js';

describe('the /_access protocol', () => {
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    server = await startTestServer({ config: { bodyLimit: 4096 } });
    conference = await createConference(server);
  });
  afterAll(() => server.close());

  const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method: 'POST', body, headers });
  const form = (params: Record<string, string>) => new URLSearchParams({ ...server.credentials, ...params });

  it('answers XML by default, with the declaration and the document envelope', async () => {
    const response = await fetch(`${server.url}/_access/getCustomer?${form({})}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    const text = await response.text();
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?><document><value>')).toBe(true);
    expect(text.endsWith('</value><code>0</code><message></message></document>')).toBe(true);
  });

  it('answers JSON for type=json in any case', async () => {
    const response = await fetch(`${server.url}/_access/getCustomer?${form({ type: 'JSON' })}`);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await response.json();
    expect(body.code).toBe(0);
    expect(Object.keys(body)).toEqual(['message', 'value', 'code']);
  });

  it('refuses an unknown type with -2, answered in XML', async () => {
    const text = await (await fetch(`${server.url}/_access/getCustomer?${form({ type: 'yaml' })}`)).text();
    const doc = parseXml(text).document;
    expect(doc.code).toBe('-2');
    expect(doc.message).toContain('type must be json or xml');
  });

  it('matches function names in any case', async () => {
    const answer = await (await fetch(`${server.url}/_access/GETCUSTOMER?${form({ type: 'json' })}`)).json();
    expect(answer.code).toBe(0);
  });

  it('answers an unknown function with -2 in an envelope', async () => {
    const answer = await (await fetch(`${server.url}/_access/dropTables?${form({ type: 'json' })}`)).json();
    expect(answer).toEqual({ message: 'unknown function "dropTables"', value: null, code: -2 });
  });

  it('lets information functions answer POST too', async () => {
    const answer = await (await post('/_access/getCustomer', form({ type: 'json' }))).json();
    expect(answer.code).toBe(0);
  });

  it('takes parameters from a JSON body (extension)', async () => {
    const response = await post(
      '/_access/addPerson',
      JSON.stringify({ ...server.credentials, type: 'json', conference, role: 'PARTICIPANT', name: 'Json Body' }),
      { 'content-type': 'application/json' },
    );
    const answer = await response.json();
    expect(answer.code).toBe(0);
    expect(answer.value.name).toBe('Json Body');
  });

  it('refuses a JSON body whose value is an object with -2 and writes nothing (an array: its last item)', async () => {
    const persons = async () =>
      (await server.call('getConference', { conferenceUID: conference })).value.persons.length;
    const before = await persons();
    for (const name of [{ first: 'Ann' }, [{ first: 'Ann' }]]) {
      const response = await post(
        '/_access/addPerson',
        JSON.stringify({ ...server.credentials, type: 'json', conference, role: 'PARTICIPANT', name }),
        { 'content-type': 'application/json' },
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        message: 'name must be text, a number or a boolean, not an object',
        value: null,
        code: -2,
      });
    }
    expect(await persons()).toBe(before);
    const listed = await post(
      '/_access/addPerson',
      JSON.stringify({ ...server.credentials, type: 'json', conference, role: ['PRESENTER', 'ASSISTANT'] }),
      { 'content-type': 'application/json' },
    );
    expect((await listed.json()).value.role).toBe('ASSISTANT');
  });

  it('refuses a JSON body that is an array, a scalar or null with -2 in the format asked for, and writes nothing', async () => {
    // Through the node:http front and through Fastify's route alone.
    const routeOnly = await startTestServer({ accessFront: false });
    try {
      for (const target of [server, routeOnly]) {
        const uid = target === server ? conference : await createConference(target);
        const persons = async () => (await target.call('getConference', { conferenceUID: uid })).value.persons.length;
        const before = await persons();
        const query = new URLSearchParams({
          ...target.credentials,
          type: 'json',
          conference: uid,
          role: 'PARTICIPANT',
        });
        for (const body of ['[{"name":"Ann"}]', '["x"]', '[]', '"name=Ann"', '42', 'true', 'null', ' null ']) {
          const response = await fetch(`${target.url}/_access/addPerson?${query.toString()}`, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json' },
          });
          expect(response.status, body).toBe(200);
          expect(await response.json(), body).toEqual({
            message: 'a JSON body must be an object of parameters ({"name": "value", …})',
            value: null,
            code: -2,
          });
        }
        expect(await persons()).toBe(before);
      }
    } finally {
      await routeOnly.close();
    }
  });

  it('reads a JSON value of arrays nested thousands deep as its innermost last item, in the format asked for', async () => {
    // 20 000 levels fit in the default 64 KiB body; a recursive unwrap overflowed the stack and the
    // request lost every parameter (customer, key, type): -5, in XML.
    const wide = await startTestServer();
    const routeOnly = await startTestServer({ accessFront: false });
    try {
      for (const target of [wide, routeOnly]) {
        const uid = await createConference(target);
        const deep = (value: string, depth: number) => '['.repeat(depth) + JSON.stringify(value) + ']'.repeat(depth);
        const body = `{"customer":"${target.credentials.customer}","key":"${target.credentials.key}","type":"json","conference":"${uid}","role":"PARTICIPANT","name":${deep('Ann', 20_000)}}`;
        const response = await fetch(`${target.url}/_access/addPerson`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
        });
        expect(response.status).toBe(200);
        const envelope = await response.json();
        expect(envelope.code).toBe(0);
        expect(envelope.value.name).toBe('Ann');
        const empty = `{"customer":"${target.credentials.customer}","key":"${target.credentials.key}","conference":"${uid}","name":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
        const refused = await fetch(`${target.url}/_access/addPerson?type=json`, {
          method: 'POST',
          body: empty,
          headers: { 'content-type': 'application/json' },
        });
        // An empty array is no value: role is still missing, and the answer is JSON as the query asked.
        expect(await refused.json()).toEqual({ message: 'role is required', value: null, code: -2 });
      }
    } finally {
      await wide.close();
      await routeOnly.close();
    }
  });

  it('reads a text/plain body (or one with no known type) as a form, as lenient servers did', async () => {
    const body = new URLSearchParams({ ...server.credentials, type: 'json' }).toString();
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/octet-stream']) {
      const response = await fetch(`${server.url}/_access/getCustomer`, {
        method: 'POST',
        body,
        headers: { 'content-type': type },
      });
      const answer = (await response.json()) as { code: number; value: { UID: string } };
      expect(answer.code, type).toBe(0);
      expect(answer.value.UID, type).toBe(server.credentials.customer);
    }
  });

  it('reads a form in the charset its content type names (ISO-8859-1 as a servlet did), refuses one it cannot read', async () => {
    const persons = async () =>
      (await server.call('getConference', { conferenceUID: conference })).value.persons.length;
    const addPerson = async (name: string, contentType: string) => {
      const auth = new URLSearchParams({ ...server.credentials, type: 'json', conference, role: 'PARTICIPANT' });
      const body = Buffer.concat([Buffer.from(`${auth.toString()}&name=`, 'latin1'), Buffer.from(name, 'latin1')]);
      const response = await post('/_access/addPerson?type=json', body, { 'content-type': contentType });
      return { status: response.status, answer: await response.json() };
    };
    for (const [name, contentType, expected] of [
      ['Ren%E9', 'application/x-www-form-urlencoded; charset=ISO-8859-1', 'René'],
      ['Ren%E9+M%FCller', 'application/x-www-form-urlencoded;charset="iso-8859-1"', 'René Müller'],
      ['Ren\u00e9', 'application/x-www-form-urlencoded; charset=latin1', 'René'],
      ['Ren%E9', 'application/x-www-form-urlencoded; charset=windows-1252', 'René'],
      ['Ren%E9', 'text/plain; charset=ISO-8859-1', 'René'],
      ['Ren%C3%A9', 'application/x-www-form-urlencoded; charset=UTF-8', 'René'],
      ['Ren%C3%A9', 'application/x-www-form-urlencoded; charset="utf-8"', 'René'],
      ['Ren%C3%A9', 'application/x-www-form-urlencoded', 'René'],
    ]) {
      const { status, answer } = await addPerson(name!, contentType!);
      expect(status, contentType).toBe(200);
      expect(answer.code, contentType).toBe(0);
      expect(answer.value.name, contentType).toBe(expected);
    }
    const before = await persons();
    for (const charset of ['utf-16', 'no-such-charset']) {
      const { status, answer } = await addPerson('Ann', `application/x-www-form-urlencoded; charset=${charset}`);
      expect(status, charset).toBe(400);
      expect(answer, charset).toEqual({
        message: `malformed request: a form body in charset "${charset}" cannot be read; send it in UTF-8`,
        value: null,
        code: -2,
      });
    }
    expect(await persons()).toBe(before);
  });

  it('answers too many parameters with -2 in the format asked for (query or body)', async () => {
    const many = Object.fromEntries(Array.from({ length: 401 }, (_, i) => [`p${i}`, '1']));
    for (const [path, body] of [
      ['/_access/getCustomer?type=json', form(many)],
      ['/_access/getCustomer', form({ type: 'json', ...many })],
    ] as const) {
      expect(await (await post(path, body)).json()).toEqual({
        message: 'too many parameters (at most 400)',
        value: null,
        code: -2,
      });
    }
  });

  it('takes parameters from a multipart form body, as PHP curl sends an array', async () => {
    const body = new FormData();
    for (const [k, v] of Object.entries({
      ...server.credentials,
      type: 'json',
      conference,
      role: 'ASSISTANT',
      name: 'Multi Part',
    })) {
      body.set(k, v);
    }
    const answer = await (await post('/_access/addPerson', body)).json();
    expect(answer.code).toBe(0);
    expect(answer.value).toMatchObject({ name: 'Multi Part', role: 'ASSISTANT' });
  });

  it('reads a multipart body whose lines end in LF only, as in CRLF, and keeps the line breaks inside a value', async () => {
    const fields = {
      ...server.credentials,
      type: 'json',
      conference,
      role: 'PRESENTER',
      name: 'Bare LF',
      notes: 'a\nb',
    };
    for (const eol of ['\n', '\r\n']) {
      const body =
        Object.entries(fields)
          .map(([k, v]) => `--XyZ${eol}Content-Disposition: form-data; name="${k}"${eol}${eol}${v}${eol}`)
          .join('') + `--XyZ--${eol}`;
      const response = await fetch(`${server.url}/_access/addPerson`, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
        body,
      });
      const answer = await response.json();
      expect(answer.code, JSON.stringify(eol)).toBe(0);
      expect(answer.value).toMatchObject({ name: 'Bare LF', role: 'PRESENTER', notes: 'a\nb' });
    }
  });

  it('lets body values win over query values', async () => {
    const response = await post(
      `/_access/addPerson?name=FromQuery&type=xml`,
      form({ type: 'json', conference, role: 'PARTICIPANT', name: 'FromBody' }),
    );
    const answer = await response.json();
    expect(answer.value.name).toBe('FromBody');
  });

  it('answers a body over the size limit with an envelope and HTTP 413', async () => {
    const response = await post(
      '/_access/addPerson?type=json',
      form({ conference, role: 'PARTICIPANT', notes: 'x'.repeat(8000) }),
    );
    expect(response.status).toBe(413);
    const answer = await response.json();
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('larger than 4096 bytes');
  });

  it('answers malformed JSON with an envelope, never a crash', async () => {
    const response = await post('/_access/addPerson?type=json', '{"customer":', { 'content-type': 'application/json' });
    expect(response.status).toBe(400);
    expect((await response.json()).code).toBe(-2);
  });

  it('refuses a NUL character in any parameter with -2 (PostgreSQL cannot store it)', async () => {
    const lookup = await server.call('getConferenceReservation', { reservationUID: 'AB\u0000CD' });
    expect(lookup).toEqual({ code: -2, message: 'reservationUID must not contain a NUL character', value: null });
    const write = await server.call('updateConference', { conference, field: 'notes', value: 'a\u0000b' });
    expect(write.code).toBe(-2);
    expect(write.message).toBe('value must not contain a NUL character');
  });

  it('refuses a lone surrogate in a JSON body with -2 and writes nothing (SQLite and PostgreSQL would store it differently)', async () => {
    const routeOnly = await startTestServer({ accessFront: false });
    try {
      for (const target of [server, routeOnly]) {
        const uid = target === server ? conference : await createConference(target);
        const notes = async () => (await target.call('getConference', { conferenceUID: uid })).value.notes as string;
        const before = await notes();
        // JSON can carry an unpaired surrogate as an escape; no form or query decoding produces one.
        for (const [escaped, where] of [
          ['a\\ud800b', 'a high surrogate alone'],
          ['a\\udc00', 'a low surrogate alone'],
          ['\\udc00\\ud800', 'the pair in the wrong order'],
        ]) {
          const body = `{"customer":"${target.credentials.customer}","key":"${target.credentials.key}","type":"json","conference":"${uid}","field":"notes","value":"${escaped}"}`;
          const response = await fetch(`${target.url}/_access/updateConference`, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json' },
          });
          expect(await response.json(), where).toEqual({
            message: 'value must be valid Unicode text: it holds an unpaired surrogate (\\uD800–\\uDFFF)',
            value: null,
            code: -2,
          });
        }
        expect(await notes()).toBe(before);
        // A pair (an emoji) is text like any other.
        const paired = await target.call('updateConference', {
          conference: uid,
          field: 'notes',
          value: 'a\ud83d\ude00b',
        });
        expect(paired.code).toBe(0);
        expect(paired.value.notes).toBe('a😀b');
      }
    } finally {
      await routeOnly.close();
    }
  });

  it('refuses a wrong key with -5, the same text as an unknown customer', async () => {
    const wrongKey = await server.call(
      'getCustomer',
      {},
      { as: { customer: server.credentials.customer, key: '0'.repeat(32) } },
    );
    const unknownCustomer = await server.call(
      'getCustomer',
      {},
      { as: { customer: 'NOSUCHCUSTOMER00', key: server.credentials.key } },
    );
    const missing = await (await fetch(`${server.url}/_access/getCustomer?type=json`)).json();
    for (const answer of [wrongKey, unknownCustomer, missing]) {
      expect(answer).toEqual({ message: 'invalid customer key', value: null, code: -5 });
    }
  });

  it('does not accept one customer’s key for another customer', async () => {
    const other = await server.addCustomer({ name: 'Other' });
    const answer = await server.call(
      'getCustomer',
      {},
      { as: { customer: other.customer, key: server.credentials.key } },
    );
    expect(answer.code).toBe(-5);
  });

  it('refuses a suspended customer with -1', async () => {
    const other = await server.addCustomer({ name: 'Suspended' });
    const { setCustomerStatus } = await import('../domain/customers.js');
    await setCustomerStatus(server.services, other.customer, 'SUSPEND');
    const answer = await server.call('getCustomer', {}, { as: other });
    expect(answer.code).toBe(-1);
    expect(answer.message).toContain('SUSPEND');
  });

  it('hides internals of an unhandled exception behind a request id', async () => {
    const { apiFunctions } = await import('../functions/index.js');
    expect(apiFunctions.length).toBeGreaterThan(0);
    // Break the database under the server: the next call fails in an unplanned way.
    const { sql } = await import('kysely');
    await sql`alter table persons rename to persons_gone`.execute(server.services.store.db);
    try {
      const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT' });
      expect(answer.code).toBe(-4);
      expect(answer.message).toMatch(
        /^unhandled exception; if it persists contact support quoting request [0-9a-f]{8}-[0-9a-z]+$/,
      );
      expect(answer.message).not.toMatch(/persons|sql|at /i);
    } finally {
      await sql`alter table persons_gone rename to persons`.execute(server.services.store.db);
    }
  });
});

describe('authentication throttling', () => {
  it('refuses every attempt from an address after repeated failures, then lets it in a minute later', async () => {
    const server = await startTestServer({ config: { authFailureLimit: 5 } });
    try {
      const wrong = { customer: server.credentials.customer, key: 'f'.repeat(32) };
      for (let i = 0; i < 5; i++) expect((await server.call('getCustomer', {}, { as: wrong })).code).toBe(-5);
      const blocked = await server.call('getCustomer');
      expect(blocked.code).toBe(-5);
      expect(blocked.message).toMatch(/too many failures from your address; retry in \d+ s/);
      server.clock.advance(60_000);
      expect((await server.call('getCustomer')).code).toBe(0);
    } finally {
      await server.close();
    }
  });
});
