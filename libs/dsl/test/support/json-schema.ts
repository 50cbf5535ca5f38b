/**
 * A small evaluator for the part of JSON Schema 2020-12 that treeDocumentSchema uses, so tests can
 * check documents against the schema without a validator dependency. Local `$ref`s only.
 */

type Schema = boolean | { [key: string]: unknown };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function validates(root: Schema, value: unknown): boolean {
  const resolve = (ref: string): Schema => {
    let at: unknown = root;
    for (const part of ref.replace(/^#\//, '').split('/'))
      at = (at as Record<string, unknown>)[part];
    return at as Schema;
  };

  const check = (schema: Schema, v: unknown): boolean => {
    if (schema === true) return true;
    if (schema === false) return false;
    const s = schema;
    if (typeof s.$ref === 'string' && !check(resolve(s.$ref), v)) return false;
    if (s.type !== undefined) {
      const t = typeOf(v);
      const ok = s.type === t || (s.type === 'integer' && Number.isInteger(v));
      if (!ok) return false;
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => equal(e, v))) return false;
    if ('const' in s && !equal(s.const, v)) return false;
    if (Array.isArray(s.allOf) && !s.allOf.every((sub) => check(sub as Schema, v))) return false;
    if (Array.isArray(s.anyOf) && !s.anyOf.some((sub) => check(sub as Schema, v))) return false;
    if (Array.isArray(s.oneOf) && s.oneOf.filter((sub) => check(sub as Schema, v)).length !== 1)
      return false;
    if (s.not !== undefined && check(s.not as Schema, v)) return false;
    if (s.if !== undefined) {
      const branch = check(s.if as Schema, v) ? s.then : s.else;
      if (branch !== undefined && !check(branch as Schema, v)) return false;
    }
    if (typeof v === 'number' && typeof s.minimum === 'number' && v < s.minimum) return false;
    if (typeof v === 'string') {
      if (typeof s.minLength === 'number' && [...v].length < s.minLength) return false;
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) return false;
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) return false;
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) return false;
      const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as Schema[]) : [];
      for (let i = 0; i < v.length; i++) {
        const sub = i < prefix.length ? prefix[i] : (s.items as Schema | undefined);
        if (sub !== undefined && !check(sub, v[i])) return false;
      }
    }
    if (isObject(v)) {
      const keys = Object.keys(v);
      const props = isObject(s.properties) ? s.properties : {};
      if (Array.isArray(s.required) && !s.required.every((k) => keys.includes(k as string)))
        return false;
      if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) return false;
      for (const key of keys) {
        if (s.propertyNames !== undefined && !check(s.propertyNames as Schema, key)) return false;
        if (Object.prototype.hasOwnProperty.call(props, key)) {
          if (!check(props[key] as Schema, v[key])) return false;
        } else if (
          s.additionalProperties !== undefined &&
          !check(s.additionalProperties as Schema, v[key])
        ) {
          return false;
        }
      }
    }
    return true;
  };

  return check(root, value);
}
