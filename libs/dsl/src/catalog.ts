import {
  COMMON_KEYWORDS,
  EXPR_FUNCTIONS,
  NODE_SPECS,
  NODE_SPEC_BY_TYPE,
  SCOPE_PREFIXES,
  type ArgSpec,
  type NodeSpec,
} from '@canopy/engine';

/**
 * The engine's node catalogue, read once. Compiled to CommonJS, every use of an imported binding
 * goes through an accessor; the hot paths of the reader and the validator use these instead, and
 * per-node questions ("does this node define :name itself?") are answered from tables built here.
 */

export const SPEC_BY_TYPE: ReadonlyMap<string, NodeSpec> = NODE_SPEC_BY_TYPE;
export const FUNCTIONS: Readonly<Record<string, { min: number; max: number }>> = EXPR_FUNCTIONS;
export const SPECS: readonly NodeSpec[] = NODE_SPECS;
export const COMMON_NAMES: readonly string[] = COMMON_KEYWORDS.map((k) => k.name);
export const PREFIXES: readonly string[] = SCOPE_PREFIXES;

const KEYWORDS = new Map<NodeSpec, ReadonlyMap<string, ArgSpec>>(
  NODE_SPECS.map((spec) => [spec, new Map(spec.keywords.map((k) => [k.name, k] as const))]),
);

/** The keyword `name` of a node type, if it defines one (`:id` and `:name` only when it does). */
export function keywordOf(spec: NodeSpec, name: string): ArgSpec | undefined {
  const keywords = KEYWORDS.get(spec);
  return keywords ? keywords.get(name) : spec.keywords.find((k) => k.name === name);
}
