import {
  COMMON_KEYWORDS,
  EXPR_FUNCTIONS,
  FORMAT_VERSION,
  NODE_SPECS,
  PATH_ID_PATTERN,
  SCOPE_PREFIXES,
  type ArgSpec,
  type NodeSpec,
} from '@canopy/engine';
import { COMMENT_PATTERN, KEYWORD_PATTERN, SYMBOL_PATTERN, VAR_PATTERN } from './syntax';

/**
 * JSON Schema (draft 2020-12) of TreeDocument, generated from the node catalogue so that it
 * cannot drift from it. It checks shape and per-type arity, keywords, argument kinds and keys;
 * the rest needs `validateDocument`: cross-tree checks (subtree references, duplicate names and
 * ids), the arity of expression functions, literal `get` keys and bare symbols in expressions.
 * The same object is committed as libs/dsl/schema/canopy-tree.schema.json for editors and other
 * tools (regenerate with `node -r @swc-node/register libs/dsl/scripts/write-schema.ts`).
 */

type Schema = { [key: string]: unknown };

const SCOPES = SCOPE_PREFIXES.join('|');
/**
 * A key as the validator takes it: names separated by '/', after a known scope if any (`team:a/b`;
 * not `a//b`, `x/`, `team:` or `x:y`).
 */
const KEY_PATTERN = `^(?:(?:${SCOPES}):[^/]+(?:/[^/]+)*|[^:/]+(?:/[^:/]+)*)$`;
/** The path of a key read (`$...`): its prefix, if any, is a known scope. */
const SCOPED_PATTERN = `^(?:[^:]*|(?:${SCOPES}):[\\s\\S]*)$`;

const ref = (name: string): Schema => ({ $ref: `#/$defs/${name}` });

function kindSchema(arg: ArgSpec): Schema {
  switch (arg.kind) {
    case 'expr':
      return ref('expr');
    case 'number':
      return { anyOf: [{ type: 'number' }, ref('var'), ref('call')] };
    case 'string':
      return { type: 'string' };
    case 'name':
      return { anyOf: [{ type: 'string' }, ref('sym')] };
    case 'key':
      return { type: 'string', pattern: KEY_PATTERN };
    case 'boolean':
      return { type: 'boolean' };
    case 'keyword':
      return { allOf: [ref('kw'), { properties: { kw: { enum: [...(arg.choices ?? [])] } } }] };
    case 'ms':
    case 'count':
      return { type: 'integer', minimum: 1 };
  }
}

/** Types that may only appear as children of another type than `parent` (`option`). */
function typesOnlyAllowedUnder(parent: string | undefined): string[] {
  return NODE_SPECS.filter((s) => s.parentType && s.parentType !== parent).map((s) => s.type);
}

const notOfType = (types: string[]): Schema => ({ not: { properties: { type: { enum: types } } } });

function nodeRule(spec: NodeSpec): Schema {
  const { min, max } = spec.children;
  const required: string[] = [];
  const properties: Schema = {};

  const children: Schema = {};
  if (min > 0) {
    children.minItems = min;
    required.push('children');
  }
  if (Number.isFinite(max)) children.maxItems = max;
  if (Object.keys(children).length) properties.children = children;
  if (spec.childType) {
    properties.children = {
      ...children,
      items: { properties: { type: { const: spec.childType } } },
    };
  } else if (max > 0) {
    const misplaced = typesOnlyAllowedUnder(spec.type);
    if (misplaced.length) properties.children = { ...children, items: notOfType(misplaced) };
  }

  const positional = spec.positional;
  const requiredArgs = positional.filter((p) => p.required).length;
  if (positional.length === 0) {
    properties.args = { maxItems: 0 };
  } else {
    const args: Schema = { prefixItems: positional.map(kindSchema) };
    if (spec.variadic) args.items = kindSchema(positional[positional.length - 1]);
    else args.items = false;
    if (requiredArgs > 0) {
      args.minItems = requiredArgs;
      required.push('args');
    }
    properties.args = args;
  }

  const commonNames = COMMON_KEYWORDS.map((k) => k.name);
  const keywordNames = spec.keywords.map((k) => k.name);
  const kwargs: Schema = {};
  if (spec.keywords.length) {
    kwargs.properties = Object.fromEntries(spec.keywords.map((k) => [k.name, kindSchema(k)]));
  }
  const requiredKeywords = spec.keywords.filter((k) => k.required).map((k) => k.name);
  if (requiredKeywords.length) {
    kwargs.required = requiredKeywords;
    required.push('kwargs');
  }
  if (spec.openKeywords) {
    kwargs.propertyNames = { not: { enum: commonNames.filter((n) => !keywordNames.includes(n)) } };
  } else if (keywordNames.length === 0) {
    kwargs.maxProperties = 0;
  } else {
    kwargs.propertyNames = { enum: keywordNames };
  }
  properties.kwargs = kwargs;
  // A keyword of the node that shadows a common attribute (`semaphore :name`) leaves no label.
  const shadowed = commonNames.filter((n) => keywordNames.includes(n));

  const then: Schema = { properties };
  if (required.length) then.required = required;
  if (shadowed.length) then.not = { anyOf: shadowed.map((n) => ({ required: [n] })) };
  return {
    if: {
      properties: { type: { enum: [spec.type, ...(spec.aliases ?? [])] } },
      required: ['type'],
    },
    then,
  };
}

function buildSchema(): Schema {
  const nodeTypes = NODE_SPECS.flatMap((s) => [s.type, ...(s.aliases ?? [])]);
  const exprs = (items: Schema): Schema => ({ type: 'array', items });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'urn:canopy:schema:tree-document:1',
    title: 'Canopy tree document',
    description: `Canonical JSON form of Canopy behavior trees (format "${FORMAT_VERSION}").`,
    type: 'object',
    required: ['format', 'trees'],
    additionalProperties: false,
    properties: {
      format: { const: FORMAT_VERSION },
      trees: { type: 'array', minItems: 1, items: ref('tree') },
      trailingComments: ref('comments'),
    },
    $defs: {
      comments: {
        description: 'Comment lines, without the leading ";".',
        type: 'array',
        items: { type: 'string', pattern: COMMENT_PATTERN },
      },
      tree: {
        type: 'object',
        required: ['name', 'root'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 },
          main: { type: 'boolean' },
          root: { allOf: [ref('node'), notOfType(typesOnlyAllowedUnder(undefined))] },
          comments: ref('comments'),
        },
      },
      node: {
        type: 'object',
        required: ['type'],
        additionalProperties: false,
        properties: {
          type: { enum: nodeTypes },
          id: { type: 'string', minLength: 1, not: { pattern: PATH_ID_PATTERN } },
          name: { type: 'string' },
          ...Object.fromEntries(
            COMMON_KEYWORDS.filter((k) => k.name !== 'id' && k.name !== 'name').map((k) => [
              k.name,
              kindSchema(k),
            ]),
          ),
          args: exprs(ref('expr')),
          kwargs: {
            type: 'object',
            propertyNames: { pattern: KEYWORD_PATTERN },
            additionalProperties: ref('expr'),
          },
          children: { type: 'array', items: ref('node') },
          comments: ref('comments'),
        },
        allOf: NODE_SPECS.map(nodeRule),
      },
      expr: {
        anyOf: [
          { type: 'number' },
          { type: 'string' },
          { type: 'boolean' },
          { type: 'null' },
          ref('var'),
          ref('sym'),
          ref('kw'),
          ref('call'),
          ref('list'),
          ref('map'),
        ],
      },
      var: {
        description: 'A blackboard read: `$a/b`, `$global:key` (the text after `$`).',
        type: 'object',
        required: ['$'],
        additionalProperties: false,
        properties: {
          $: { type: 'string', allOf: [{ pattern: VAR_PATTERN }, { pattern: SCOPED_PATTERN }] },
        },
      },
      sym: {
        type: 'object',
        required: ['sym'],
        additionalProperties: false,
        properties: { sym: { type: 'string', pattern: SYMBOL_PATTERN } },
      },
      kw: {
        type: 'object',
        required: ['kw'],
        additionalProperties: false,
        properties: { kw: { type: 'string', pattern: KEYWORD_PATTERN } },
      },
      call: {
        type: 'object',
        required: ['call', 'args'],
        additionalProperties: false,
        properties: { call: { enum: Object.keys(EXPR_FUNCTIONS) }, args: exprs(ref('expr')) },
      },
      list: {
        type: 'object',
        required: ['list'],
        additionalProperties: false,
        properties: { list: exprs(ref('expr')) },
      },
      map: {
        type: 'object',
        required: ['map'],
        additionalProperties: false,
        properties: {
          map: {
            type: 'object',
            propertyNames: { pattern: KEYWORD_PATTERN },
            additionalProperties: ref('expr'),
          },
        },
      },
    },
  };
}

export const treeDocumentSchema: Readonly<Record<string, unknown>> = buildSchema();
