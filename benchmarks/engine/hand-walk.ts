/**
 * The floor for `bench:engine`: the benchmark tree walked by hand-written code, with the same
 * semantics (a sequence of selectors, each of 8 conditions reading `x` and one succeeding action)
 * and nothing else: no statuses kept per node, no record, no blackboard layers. Canopy's tick over
 * this walk's is what the engine's bookkeeping costs.
 */
const SUCCESS = 1;
const FAILURE = 2;

type Node =
  | { kind: 'sequence' | 'selector'; children: Node[] }
  | { kind: 'condition' }
  | { kind: 'action' };

function walk(node: Node, state: { x: number }): number {
  switch (node.kind) {
    case 'sequence':
      for (const child of node.children) {
        const status = walk(child, state);
        if (status !== SUCCESS) return status;
      }
      return SUCCESS;
    case 'selector':
      for (const child of node.children) {
        const status = walk(child, state);
        if (status !== FAILURE) return status;
      }
      return FAILURE;
    case 'condition':
      return state.x === 1 ? SUCCESS : FAILURE;
    case 'action':
      return SUCCESS;
  }
}

/** The benchmark tree of `selectors` selectors; `tick()` walks it once. */
export function handWrittenTree(selectors: number): { nodes: number; tick(): number } {
  const selector = (): Node => ({
    kind: 'selector',
    children: [...Array.from({ length: 8 }, (): Node => ({ kind: 'condition' })), { kind: 'action' }],
  });
  const root: Node = { kind: 'sequence', children: Array.from({ length: selectors }, selector) };
  const state = { x: 0 };
  return { nodes: 1 + selectors * 10, tick: () => walk(root, state) };
}
