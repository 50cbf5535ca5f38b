import fc from 'fast-check';

/** One route of the gateway's OpenAPI document. */
export interface Route {
  method: string;
  /** As documented: `/executions/{id}/tick`. */
  path: string;
  params: string[];
  query: string[];
  /** The request body's JSON schema, when the route takes one. */
  body?: JsonSchema;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minimum?: number;
  default?: unknown;
  additionalProperties?: boolean | JsonSchema;
}

interface OpenApiOperation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every route of the document, so that none is left out of the fuzz. */
export function routesOf(document: { paths: Record<string, Record<string, OpenApiOperation>> }): Route[] {
  const routes: Route[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const body = op.requestBody?.content?.['application/json']?.schema;
      routes.push({ method: method.toUpperCase(), path, params, query, body });
    }
  }
  return routes;
}

/** A valid-looking value of a schema: required fields only, first choices, minimums. */
export function sample(schema: JsonSchema | undefined, depth = 0): unknown {
  if (!schema || depth > 8) return {};
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  const choice = schema.anyOf?.[0] ?? schema.oneOf?.[0] ?? schema.allOf?.[0];
  if (choice) return sample(choice, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return 'x';
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'null':
      return null;
    default: {
      const out: Record<string, unknown> = {};
      for (const key of schema.required ?? []) out[key] = sample(schema.properties?.[key], depth + 1);
      return out;
    }
  }
}

/** A request as it goes on the wire: the body is text, so it can be anything (not only JSON). */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What was generated, for the report of a failure. */
  note: string;
}

/** encodeURIComponent, which throws on a lone surrogate: then its UTF-8 replacement, encoded. */
function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
}

const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** Strings that have broken parsers, routers and stores before. */
const NASTY_STRINGS = fc.constantFrom(
  '',
  ' ',
  '..',
  '../..',
  '%2F',
  '%2e%2e%2f',
  '%00',
  '\u0000',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'global',
  'team:',
  'exec:',
  '*',
  '>',
  'a.b.c',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '\ud800',
  '🌳',
  'ÿ',
  '\r\n',
  '<script>',
  "'; DROP TABLE x;--",
);

const text = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: NASTY_STRINGS },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 20_000 }).map((n) => 'a'.repeat(n)) },
);

/** A path parameter: a known good value, or anything, encoded or (for a few) raw. */
function paramArb(name: string, known: Record<string, string[]>): fc.Arbitrary<string> {
  const good = known[name] ?? [];
  const encoded = text.map(encode);
  const raw = fc.constantFrom('a/b', '%2F', 'a%2Fb', '..%2F..', '%', '%zz', '?', '#', ';', '.');
  return fc.oneof(
    ...(good.length ? [{ weight: 4, arbitrary: fc.constantFrom(...good) }] : []),
    { weight: 3, arbitrary: encoded },
    { weight: 1, arbitrary: raw },
  );
}

const CONTENT_TYPES = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/JSON',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '*/*',
  ';;;',
  'application/json; boundary',
  'garbage',
);

/** Headers on top of the base ones: a content type (or none) and some garbage. */
const headersArb: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'content-type': CONTENT_TYPES,
    accept: fc.constantFrom('application/json', 'text/event-stream', '*/*', 'garbage/;;'),
    'x-fuzz': fc.string({ unit: 'grapheme-ascii', maxLength: 100 }),
    traceparent: fc.constantFrom('00-zz-zz-01', '00-' + '0'.repeat(32) + '-' + '0'.repeat(16) + '-00', 'garbage'),
    'content-encoding': fc.constantFrom('gzip', 'br', 'identity', 'garbage'),
  },
  { requiredKeys: [] },
);

/** A JSON value that mutates `value`: wrong types, missing and extra fields, deep and huge values. */
function mutate(value: unknown): fc.Arbitrary<unknown> {
  const any = fc.jsonValue({ maxDepth: 4 });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fc.oneof(any, text, fc.constant(value));
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  const key = keys.length ? fc.constantFrom(...keys) : fc.constant('x');
  return fc.oneof(
    // one field of another type (or a mutation of its own)
    fc.tuple(key, fc.oneof(any, text, fc.constantFrom(-1, 0, 1.5, 2 ** 53, -(2 ** 60), 1e308, true, null, [], {}))).map(
      ([k, v]) => ({ ...obj, [k]: v }),
    ),
    // a field left out
    key.map((k) => Object.fromEntries(Object.entries(obj).filter(([name]) => name !== k))),
    // an extra field
    fc.tuple(text, any).map(([k, v]) => ({ ...obj, [k]: v })),
    // nested fields mutated
    keys.length
      ? key.chain((k) => mutate(obj[k]).map((v) => ({ ...obj, [k]: v })))
      : fc.constant(obj),
  );
}

/**
 * Body text: the route's valid example, a mutation of it, random JSON, or what breaks parsers:
 * deep nesting, huge strings (around the body and NATS payload limits), prototype keys,
 * truncated or non-JSON text.
 */
function bodyArb(example: unknown): fc.Arbitrary<{ text?: string; note: string }> {
  const json = (note: string) => (v: unknown) => ({ text: JSON.stringify(v), note });
  const exampleText = JSON.stringify(example);
  const inner = exampleText.startsWith('{') && exampleText.length > 2 ? exampleText.slice(1, -1) : '';
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant({ text: exampleText, note: 'example' }) },
    { weight: 6, arbitrary: mutate(example).map(json('mutated example')) },
    { weight: 2, arbitrary: fc.jsonValue().map(json('random json')) },
    { weight: 1, arbitrary: fc.constant({ note: 'no body' }) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 100, max: 20_000 }).map((d) => ({ text: `{"value":${deep(d)},"blackboard":{"x":${deep(d)}}}`, note: `deep ${d}` })),
    },
    {
      weight: 1,
      // One field around the gateway's 1 MiB body limit, which is also NATS' default max_payload.
      arbitrary: fc
        .tuple(fc.integer({ min: 1_030_000, max: 1_050_000 }), fc.constantFrom(...fieldsOf(example)))
        .map(([n, key]) => ({ text: JSON.stringify({ ...(example as object), [key]: 'x'.repeat(n) }), note: `huge ${key} ${n}` })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        `{"__proto__":{"polluted":true}${inner ? `,${inner}` : ''}}`,
        `{"constructor":{"prototype":{"polluted":true}}${inner ? `,${inner}` : ''}}`,
        `{${inner ? `${inner},` : ''}"blackboard":{"__proto__":{"x":1}},"value":{"__proto__":1}}`,
      ).map((t) => ({ text: t, note: 'prototype keys' })),
    },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.string(),
        fc.constantFrom('{', '[', '{"a":', 'null', '"', '1e999999', '-', '\u0000', exampleText.slice(0, -1)),
      ).map((t) => ({ text: t, note: 'not json' })),
    },
  );
}

function fieldsOf(example: unknown): string[] {
  const keys = typeof example === 'object' && example !== null ? Object.keys(example) : [];
  return keys.length ? keys : ['value'];
}

/** Requests for one route. `known` has good values of path parameters (an existing id, ...). */
export function requestArb(
  route: Route,
  known: Record<string, string[]>,
  example: unknown,
  baseHeaders: () => Record<string, string>,
): fc.Arbitrary<FuzzRequest> {
  const params = fc.tuple(...route.params.map((p) => paramArb(p, known)));
  const query = fc.array(
    fc.tuple(fc.oneof(fc.constantFrom(...(route.query.length ? route.query : ['x'])), text), text),
    { maxLength: 4 },
  );
  const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
  const body = hasBody ? bodyArb(example) : fc.constant({ note: 'no body' } as { text?: string; note: string });
  return fc.record({ params, query, headers: headersArb, body }).map(({ params: values, query: pairs, headers, body: b }) => {
    let path = route.path;
    route.params.forEach((name, i) => (path = path.replace(`{${name}}`, values[i])));
    const search = pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
    const all = { ...headers, ...baseHeaders() };
    if (b.text === undefined) delete all['content-type'];
    return {
      method: route.method,
      path: search ? `${path}?${search}` : path,
      headers: all,
      body: b.text,
      note: b.note,
    };
  });
}
