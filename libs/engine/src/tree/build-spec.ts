import { NODE_FACTORIES, type NodeFactory } from '../nodes/factory';
import { RULE_BY_TYPE, type NodeRule } from '../validate/rules';

/** What the builder needs of a node type: its rule and how to make the node. */
export class BuildSpec {
  readonly factory: NodeFactory;

  constructor(readonly rule: NodeRule) {
    this.factory = NODE_FACTORIES[rule.type];
  }
}

/** By type and alias, like `RULE_BY_TYPE`. */
export const BUILD_SPEC_BY_TYPE: ReadonlyMap<string, BuildSpec> = new Map(
  [...RULE_BY_TYPE].map(([type, rule]) => [type, new BuildSpec(rule)] as const),
);
