import { validate } from '@readme/openapi-parser';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { apiFunctions } from '../functions/index.js';
import { resultSchemas } from '../presenters/schemas.js';
import { defineFunction } from './api-function.js';
import { buildOpenApiDocument } from './openapi.js';

type Json = Record<string, any>;

/** The parameter names of a function and whether each is required, read from its zod schema. */
function parametersOf(fn: (typeof apiFunctions)[number]): Map<string, boolean> {
  const shape = (fn.params as unknown as z.ZodObject).shape;
  return new Map(Object.entries(shape).map(([name, schema]) => [name, !schema.safeParse(undefined).success]));
}

describe('the OpenAPI document', () => {
  let server: TestServer;
  let document: Json;

  beforeAll(async () => {
    server = await startTestServer();
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    document = (await response.json()) as Json;
  });
  afterAll(() => server.close());

  it('is a valid OpenAPI 3.1 document by @readme/openapi-parser', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as any);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('fails that validator when broken (the check can fail)', async () => {
    const broken = structuredClone(document);
    broken.paths['/_access/getCustomer'].get.responses['200'].content['application/json'].schema.properties.value = {
      $ref: '#/components/schemas/NoSuchSchema',
    };
    const result = await validate(broken as any);
    expect(result.valid).toBe(false);
  });

  it('names the server it was fetched from', () => {
    expect(document.servers).toEqual([{ url: server.url }]);
  });

  it('describes every /_access function of the registry, and nothing else', () => {
    expect(Object.keys(document.paths).sort()).toEqual(apiFunctions.map((fn) => `/_access/${fn.name}`).sort());
  });

  for (const fn of apiFunctions) {
    it(`describes ${fn.name} with its parameters, verbs and ${fn.result} result`, () => {
      const item = document.paths[`/_access/${fn.name}`];
      const parameters = parametersOf(fn);
      expect(parameters.size).toBe(Object.keys((fn.params as unknown as z.ZodObject).shape).length);

      // Verbs (DESIGN.md): information functions answer GET and POST; commands POST only.
      expect(Boolean(item.get)).toBe(fn.kind === 'information');
      expect(item.post).toBeDefined();

      for (const contentType of ['application/x-www-form-urlencoded', 'application/json']) {
        const body = item.post.requestBody.content[contentType].schema;
        // A command also takes idempotencyKey (beside the Idempotency-Key header).
        const standard =
          fn.kind === 'command' ? ['customer', 'key', 'type', 'idempotencyKey'] : ['customer', 'key', 'type'];
        expect(Object.keys(body.properties).sort()).toEqual([...standard, ...parameters.keys()].sort());
        const required = [...parameters].filter(([, isRequired]) => isRequired).map(([name]) => name);
        expect([...body.required].sort()).toEqual(['customer', 'key', ...required].sort());
        for (const name of parameters.keys()) expect(body.properties[name].type).toBe('string');
      }
      if (fn.kind === 'command') {
        expect(item.post.parameters).toEqual([
          expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
        ]);
        expect(item.post.requestBody.content['application/json'].schema.properties.idempotencyKey.maxLength).toBe(255);
      }
      if (fn.kind === 'information') {
        const query = item.get.parameters as Json[];
        expect(query.map((p) => p.name).sort()).toEqual(['customer', 'key', 'type', ...parameters.keys()].sort());
        for (const p of query) {
          expect(p.in).toBe('query');
          expect(p.required).toBe(p.name === 'customer' || p.name === 'key' || parameters.get(p.name) === true);
        }
      }

      for (const operation of [item.get, item.post].filter(Boolean)) {
        const envelope = operation.responses['200'].content['application/json'].schema;
        expect(envelope.required).toEqual(['message', 'value', 'code']);
        expect(envelope.properties.value.anyOf).toContainEqual({ $ref: `#/components/schemas/${fn.result}` });
        expect(operation.responses['200'].content['text/xml']).toBeDefined();
        for (const code of Object.keys(fn.codes ?? {})) expect(operation.description).toContain(`\`${code}\``);
      }

      const schema = document.components.schemas[fn.result];
      const resultSchema = resultSchemas[fn.result as keyof typeof resultSchemas];
      expect(schema.type).toBe('object');
      expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(resultSchema.shape).sort());
    });
  }

  it('describes parameters as text, with patterns for booleans and whole numbers', () => {
    const body =
      document.paths['/_access/createConferenceReservationless'].post.requestBody.content['application/json'].schema;
    expect(body.properties.recording).toMatchObject({ type: 'string', pattern: expect.any(String) });
    expect(new RegExp(body.properties.recording.pattern).test('Yes')).toBe(true);
    expect(new RegExp(body.properties.recording.pattern).test('maybe')).toBe(false);
    expect(new RegExp(body.properties.estimatedCallers.pattern).test('25')).toBe(true);
    expect(new RegExp(body.properties.estimatedCallers.pattern).test('lots')).toBe(false);
  });

  it('describes the numbered reservation items of createConferenceReserved', () => {
    const body =
      document.paths['/_access/createConferenceReserved'].post.requestBody.content['application/x-www-form-urlencoded']
        .schema;
    const patterns = Object.keys(body.patternProperties).map((p) => new RegExp(p));
    for (const name of ['startDate1', 'duration2', 'estimatedCallers10']) {
      expect(patterns.some((p) => p.test(name))).toBe(true);
    }
  });

  it('carries the objects of the spec among its schemas', () => {
    for (const name of ['Conference', 'ConferenceData', 'ConferenceList', 'Person', 'Reservation', 'Customer']) {
      expect(document.components.schemas[name]).toBeDefined();
    }
    for (const name of ['Call', 'CallData', 'Caller', 'CustomValue', 'RoleFlag', 'CallTag', 'ConferenceTag']) {
      expect(document.components.schemas[name]).toBeDefined();
    }
    expect(document.components.schemas.RoleFlag.properties.role).toEqual({ $ref: '#/components/schemas/Role' });
    expect(document.components.schemas.ConferenceData.properties.person).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/Person' },
    });
  });

  it('refuses to describe a function whose result has no schema', () => {
    const broken = defineFunction({
      name: 'getNothing',
      kind: 'information',
      summary: 'nothing',
      result: 'Nothing',
      params: z.object({}),
      handle: async () => null,
    });
    expect(() => buildOpenApiDocument([broken], { serverUrl: 'http://x' })).toThrow(/Nothing/);
  });
});

describe('the reference page at /docs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('lists every function with its parameters and result, and every object', async () => {
    const response = await fetch(`${server.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('content-security-policy')).not.toContain('script-src');
    const html = await response.text();
    expect(html).not.toContain('<script');
    for (const fn of apiFunctions) {
      expect(html).toContain(`id="fn-${fn.name}"`);
      const section = html.slice(
        html.indexOf(`id="fn-${fn.name}"`),
        html.indexOf('</section>', html.indexOf(`id="fn-${fn.name}"`)),
      );
      for (const name of parametersOf(fn).keys()) expect(section).toContain(`<code>${name}</code>`);
      expect(section).toContain(`href="#schema-${fn.result}"`);
      expect(html).toContain(`id="schema-${fn.result}"`);
    }
    expect(html).toContain('href="/openapi.json"');
  });
});
