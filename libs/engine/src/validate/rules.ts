import {
  COMMON_KEYWORDS,
  EXPR_FUNCTIONS,
  NODE_SPECS,
  SCOPE_PREFIXES,
  type ArgKind,
  type ArgSpec,
  type NodeSpec,
} from '../model/catalog';

const NO_CHOICES: readonly string[] = [];

/** An `ArgSpec` with every field present, so that reads of it stay monomorphic. */
export class ArgRule {
  readonly name: string;
  readonly kind: ArgKind;
  readonly required: boolean;
  readonly choices: readonly string[];

  constructor(arg: ArgSpec) {
    this.name = arg.name;
    this.kind = arg.kind;
    this.required = arg.required === true;
    this.choices = arg.choices ?? NO_CHOICES;
  }
}

/**
 * A catalogue entry in one fixed shape, with its keywords by name: the entries have different
 * sets of optional fields, and reading them per node was measurably slow.
 */
export class NodeRule {
  readonly type: string;
  readonly positional: readonly ArgRule[];
  readonly variadic: boolean;
  readonly keywords: readonly ArgRule[];
  readonly openKeywords: boolean;
  readonly minChildren: number;
  readonly maxChildren: number;
  readonly childType: string | undefined;
  readonly parentType: string | undefined;
  private readonly byName: ReadonlyMap<string, ArgRule>;

  constructor(readonly spec: NodeSpec) {
    this.type = spec.type;
    this.positional = spec.positional.map((a) => new ArgRule(a));
    this.variadic = spec.variadic === true;
    this.keywords = spec.keywords.map((a) => new ArgRule(a));
    this.openKeywords = spec.openKeywords === true;
    this.minChildren = spec.children.min;
    this.maxChildren = spec.children.max;
    this.childType = spec.childType;
    this.parentType = spec.parentType;
    this.byName = new Map(this.keywords.map((k) => [k.name, k]));
  }

  /** The node's own keyword `name` (`:id` and `:name` only where the node defines them). */
  keyword(name: string): ArgRule | undefined {
    return this.byName.get(name);
  }
}

/** By type and alias, like `NODE_SPEC_BY_TYPE`. */
export const RULE_BY_TYPE: ReadonlyMap<string, NodeRule> = new Map(
  NODE_SPECS.flatMap((spec) => {
    const rule = new NodeRule(spec);
    return [spec.type, ...(spec.aliases ?? [])].map((t) => [t, rule] as const);
  }),
);

// Read once: the catalogue's tables, as the checks look them up.
export const NODE_TYPES: readonly string[] = [...RULE_BY_TYPE.keys()];
export const FUNCTION_ARITY: ReadonlyMap<string, { min: number; max: number }> = new Map(
  Object.entries(EXPR_FUNCTIONS),
);
export const FUNCTION_NAMES: readonly string[] = [...FUNCTION_ARITY.keys()];
export const COMMON_NAMES: readonly string[] = COMMON_KEYWORDS.map((k) => k.name);
/** The common attributes checked by kind (`:id` and `:name` have rules of their own). */
export const COMMON_RULES = {
  stuckAfter: new ArgRule(COMMON_KEYWORDS.find((k) => k.name === 'stuck-after') as ArgSpec),
} as const;
export const SCOPES: readonly string[] = SCOPE_PREFIXES;
