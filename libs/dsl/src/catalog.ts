import {
  COMMON_KEYWORDS,
  EXPR_FUNCTIONS,
  NODE_SPECS,
  NODE_SPEC_BY_TYPE,
  type ArgSpec,
  type NodeSpec,
} from '@canopy/engine';

/**
 * The engine's node catalogue, read once, for reading source text (which list is an argument and
 * which a child, which keyword is a node's own). Compiled to CommonJS, every use of an imported
 * binding goes through an accessor; the reader's hot path uses these instead.
 */

export const SPEC_BY_TYPE: ReadonlyMap<string, NodeSpec> = NODE_SPEC_BY_TYPE;
export const FUNCTIONS: Readonly<Record<string, { min: number; max: number }>> = EXPR_FUNCTIONS;

/** Attributes every node takes (`:id`, `:name`, `:stuck-after`): fields of the node in JSON. */
export const COMMON: ReadonlyMap<string, ArgSpec> = new Map(
  COMMON_KEYWORDS.map((k) => [k.name, k]),
);

const KEYWORDS = new Map<NodeSpec, ReadonlyMap<string, ArgSpec>>(
  NODE_SPECS.map((spec) => [spec, new Map(spec.keywords.map((k) => [k.name, k] as const))]),
);

/** The keyword `name` of a node type, if it defines one (`:id` and `:name` only when it does). */
export function keywordOf(spec: NodeSpec, name: string): ArgSpec | undefined {
  const keywords = KEYWORDS.get(spec);
  return keywords ? keywords.get(name) : spec.keywords.find((k) => k.name === name);
}
