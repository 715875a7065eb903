/**
 * The OpenAPI 3.1 document of /_access, generated from the registry: each
 * function's zod parameter schema (as the client sends it: text) and the
 * schema of its result object. A new function appears here by being registered.
 */
import { z } from 'zod';
import { namedSchemas, resultSchemas } from '../presenters/schemas.js';
import type { ApiFunction } from './api-function.js';

type JsonSchema = Record<string, unknown>;

/** The parameters every request takes (spec: "Standard parameters to all requests"), plus `type`. */
export const standardParameters: readonly { name: string; required: boolean; schema: JsonSchema }[] = [
  {
    name: 'customer',
    required: true,
    schema: { type: 'string', maxLength: 64, description: 'UID of the customer', examples: ['4FCYZIJ4F7C0XLK7'] },
  },
  {
    name: 'key',
    required: true,
    schema: {
      type: 'string',
      maxLength: 128,
      description: 'API key of the customer (32 hex characters)',
      examples: ['ce2fd6216331e0ae28a3fba0332800d7'],
    },
  },
  {
    name: 'type',
    required: false,
    schema: {
      type: 'string',
      pattern: '^\\s*([Xx][Mm][Ll]|[Jj][Ss][Oo][Nn])?\\s*$',
      description: 'Format of the answer: xml (default) or json, any case',
      examples: ['json', 'xml'],
    },
  },
];

/** What a command takes to run once (the `Idempotency-Key` header, or this parameter for form-only clients). */
const idempotencyKeySchema: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^[!-~]{1,255}$',
  description:
    'Runs the command once: a repeat with the same key and parameters within 24 h gets the first answer; other parameters under the key are a -2',
  examples: ['3f1c1f4e-7d0b-4c52-9d7e-2b8a1d6c9e10'],
};

/** The general codes of the spec and DESIGN.md, for every operation's description. */
export const generalCodes: Readonly<Record<number, string>> = {
  0: 'Success',
  [-1]: 'General error (e.g. the customer account is not ACTIVE); read the message',
  [-2]: 'Parameter error; the message names the parameter',
  [-3]: 'Retryable (database busy or unreachable); the call can be retried',
  [-4]: 'Unhandled exception; the message quotes a request id',
  [-5]: 'Invalid customer key',
};

export interface OpenApiOptions {
  /** The server's public address, for `servers`. */
  serverUrl: string;
  version?: string;
}

/** Builds the OpenAPI 3.1 document for `functions`. Throws if a function names an unknown result. */
export function buildOpenApiDocument(functions: readonly ApiFunction[], options: OpenApiOptions): JsonSchema {
  const paths: Record<string, JsonSchema> = {};
  for (const fn of functions) paths[`/_access/${fn.name}`] = pathItem(fn);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Baton — Conference Management API',
      version: options.version ?? '1.0.0',
      description: [
        'The MaestroConference Conference Management API as Baton serves it.',
        '',
        'Every function lives at `/_access/<functionName>` and takes `customer` and `key`.',
        'Information functions answer GET (query string) and POST; command functions need POST.',
        'Parameters are text: a query string, an `application/x-www-form-urlencoded` body or a JSON object body',
        '(body values win). `type=json` answers `{"message":"","value":…,"code":0}`; the default `type=xml`',
        'answers `<document><value>…</value><code>0</code><message></message></document>`.',
        'Every envelope comes with HTTP 200: read `code` (0 = success; negative = general error;',
        'positive = the function’s own codes, listed with each function).',
      ].join('\n'),
    },
    servers: [{ url: options.serverUrl }],
    tags: [
      { name: 'information', description: 'Information requests (GET or POST)' },
      { name: 'command', description: 'Command requests (POST only)' },
    ],
    paths,
    components: { schemas: componentSchemas() },
  };
}

function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(namedSchemas)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}` }) as {
    schemas: Record<string, JsonSchema>;
  };
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    // Clients should tolerate fields added later; the tests check the server strictly.
    out[id] = withoutClosedObjects(withoutKeys(schema, ['$schema', '$id'])) as JsonSchema;
  }
  return out;
}

function withoutKeys(schema: JsonSchema, keys: readonly string[]): JsonSchema {
  return Object.fromEntries(Object.entries(schema).filter(([k]) => !keys.includes(k)));
}

/** Removes `additionalProperties: false` at every depth. */
function withoutClosedObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutClosedObjects);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'additionalProperties' && v === false) continue;
    out[k] = withoutClosedObjects(v);
  }
  return out;
}

/** The input schema of a function's parameters: an object of text fields. */
export function parameterSchema(fn: ApiFunction): JsonSchema {
  return withoutKeys(z.toJSONSchema(fn.params, { io: 'input', unrepresentable: 'any' }) as JsonSchema, ['$schema']);
}

function pathItem(fn: ApiFunction): JsonSchema {
  const params = parameterSchema(fn);
  const properties = (params.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((params.required ?? []) as string[]);
  const resultName = fn.result as keyof typeof resultSchemas;
  if (!(resultName in resultSchemas)) {
    throw new Error(`${fn.name}: result "${fn.result}" has no schema in presenters/schemas.ts`);
  }

  const bodySchema: JsonSchema = {
    type: 'object',
    properties: {
      ...Object.fromEntries(standardParameters.map((p) => [p.name, p.schema])),
      ...properties,
      ...(fn.kind === 'command' ? { idempotencyKey: idempotencyKeySchema } : {}),
    },
    required: [...standardParameters.filter((p) => p.required).map((p) => p.name), ...required],
  };
  // Numbered or otherwise open-ended parameters (createConferenceReserved's startDate<#> …).
  for (const extra of ['patternProperties', 'additionalProperties'] as const) {
    if (params[extra] !== undefined && params[extra] !== false) bodySchema[extra] = params[extra];
  }

  const codes = { ...generalCodes, ...fn.codes };
  const description = [
    fn.summary,
    '',
    fn.kind === 'command' ? 'A command: POST only (a GET answers code -2).' : 'An information function: GET or POST.',
    '',
    'Codes:',
    ...Object.entries(codes)
      .sort(([a], [b]) => codeOrder(Number(a)) - codeOrder(Number(b)))
      .map(([code, text]) => `- \`${code}\` ${text}`),
  ].join('\n');

  const responses = {
    '200': {
      description: `An envelope: \`value\` is a ${fn.result} when \`code\` is 0, null otherwise.`,
      content: {
        'application/json': { schema: envelopeSchema(fn.result) },
        'text/xml': {
          schema: {
            type: 'string',
            description: `The same envelope as XML: <document><value>…${fn.result}…</value><code>0</code><message></message></document>`,
          },
        },
      },
    },
  };
  const common = {
    tags: [fn.kind],
    summary: fn.summary,
    description,
    'x-baton-result': fn.result,
    ...(fn.codes ? { 'x-baton-codes': fn.codes } : {}),
    responses,
  };
  const post = {
    ...common,
    operationId: fn.kind === 'command' ? fn.name : `${fn.name}Post`,
    ...(fn.kind === 'command'
      ? {
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description: idempotencyKeySchema.description,
              schema: idempotencyKeySchema,
            },
          ],
        }
      : {}),
    requestBody: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': { schema: bodySchema },
        'application/json': { schema: bodySchema },
      },
    },
  };
  if (fn.kind === 'command') return { post };

  const queryParameters = [
    ...standardParameters.map((p) => ({
      name: p.name,
      in: 'query',
      required: p.required,
      description: p.schema.description,
      schema: p.schema,
    })),
    ...Object.entries(properties).map(([name, schema]) => ({
      name,
      in: 'query',
      required: required.has(name),
      ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
      schema,
    })),
  ];
  return { get: { ...common, operationId: fn.name, parameters: queryParameters }, post };
}

/** 0 first, then -1, -2 …, then the function's own codes 1, 2 …. */
function codeOrder(code: number): number {
  return code <= 0 ? -code : 1000 + code;
}

function envelopeSchema(result: string): JsonSchema {
  return {
    type: 'object',
    required: ['message', 'value', 'code'],
    properties: {
      message: { type: 'string', description: 'Empty on success; the error text otherwise' },
      value: {
        description: `The ${result} on success; null on error`,
        anyOf: [{ $ref: `#/components/schemas/${result}` }, { type: 'null' }],
      },
      code: { type: 'integer', description: '0 on success' },
    },
  };
}
