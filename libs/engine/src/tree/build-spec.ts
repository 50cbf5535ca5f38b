import { NODE_SPECS, type ArgKind, type ArgSpec, type NodeSpec } from '../model/catalog';
import { NODE_FACTORIES, type NodeFactory } from '../nodes/factory';

const NO_CHOICES: readonly string[] = [];

/** An `ArgSpec` with every field present, so the builder's reads of it stay monomorphic. */
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
 * What the builder needs of a node type, in one fixed shape: the catalogue entries have
 * different sets of optional fields, and reading them per node was measurably slow.
 */
export class BuildSpec {
  readonly type: string;
  readonly factory: NodeFactory;
  readonly positional: readonly ArgRule[];
  readonly variadic: boolean;
  readonly keywords: readonly ArgRule[];
  readonly openKeywords: boolean;
  readonly minChildren: number;
  readonly maxChildren: number;
  readonly childType: string | undefined;
  readonly parentType: string | undefined;

  constructor(readonly spec: NodeSpec) {
    this.type = spec.type;
    this.factory = NODE_FACTORIES[spec.type];
    this.positional = spec.positional.map((a) => new ArgRule(a));
    this.variadic = spec.variadic === true;
    this.keywords = spec.keywords.map((a) => new ArgRule(a));
    this.openKeywords = spec.openKeywords === true;
    this.minChildren = spec.children.min;
    this.maxChildren = spec.children.max;
    this.childType = spec.childType;
    this.parentType = spec.parentType;
  }
}

/** By type and alias, like `NODE_SPEC_BY_TYPE`. */
export const BUILD_SPEC_BY_TYPE: ReadonlyMap<string, BuildSpec> = new Map(
  NODE_SPECS.flatMap((spec) => {
    const b = new BuildSpec(spec);
    return [spec.type, ...(spec.aliases ?? [])].map((t) => [t, b] as const);
  }),
);
