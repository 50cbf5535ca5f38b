import {
  buildTree,
  BuildError,
  checkTreeLimits,
  DEFAULT_TREE_LIMITS,
  validateTrees,
  type NodeJson,
  type TreeDocument,
  type TreeJson,
} from '../src';

/**
 * `levels` trees, each a sequence of two subtrees of the next: 2^(levels+1) - 1 nodes once
 * expanded from a document of a few hundred bytes (the subtree bomb of issue 16).
 */
function doublingBomb(levels: number): TreeDocument {
  const trees: TreeJson[] = [];
  for (let i = 0; i < levels; i++) {
    const sub: NodeJson = { type: 'subtree', args: [`t${i + 1}`] };
    trees.push({ name: `t${i}`, root: { type: 'sequence', children: [sub, { ...sub }] } });
  }
  trees.push({ name: `t${levels}`, root: { type: 'success' } });
  return { format: 'canopy/1', trees };
}

/** A chain of `length` trees, each a one-child sequence around a subtree of the next. */
function chain(length: number): TreeDocument {
  const trees: TreeJson[] = [];
  for (let i = 0; i < length; i++) {
    trees.push({
      name: `c${i}`,
      root: { type: 'sequence', children: [{ type: 'subtree', args: [`c${i + 1}`] }] },
    });
  }
  trees.push({ name: `c${length}`, root: { type: 'success' } });
  return { format: 'canopy/1', trees };
}

/** Expanded nodes of doublingBomb(levels): level i has 3 * 2^i nodes, the last 2^levels. */
const bombNodes = (levels: number) => 3 * (2 ** levels - 1) + 2 ** levels;

describe('tree limits', () => {
  it('refuses a subtree bomb at build time without building it, fast', () => {
    const started = Date.now();
    // 2^61 nodes: building would never end; counting takes microseconds.
    expect(() => buildTree(doublingBomb(60))).toThrow(
      expect.objectContaining({ code: 'TREE_TOO_LARGE' }),
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('builds a tree at the node limit and refuses one node more', () => {
    const levels = 5;
    const nodes = bombNodes(levels); // 3*31 + 32 = 125
    expect(nodes).toBe(125);
    const at = { ...DEFAULT_TREE_LIMITS, maxNodes: nodes };
    expect(buildTree(doublingBomb(levels), { limits: at }).nodes).toHaveLength(nodes);
    const under = { ...at, maxNodes: nodes - 1 };
    const error = (() => {
      try {
        buildTree(doublingBomb(levels), { limits: under });
      } catch (e) {
        return e as BuildError;
      }
      throw new Error('built');
    })();
    expect(error).toBeInstanceOf(BuildError);
    expect(error.code).toBe('TREE_TOO_LARGE');
    expect(error.message).toBe(
      `tree 't0' has ${nodes} nodes with its subtrees expanded (the limit is ${nodes - 1}: TREE_MAX_NODES)`,
    );
  });

  it('counts depth through subtrees, and refuses a chain deeper than TREE_MAX_DEPTH', () => {
    // Each link is a sequence (1 level) holding a subtree node (1 level): 2 per tree, + the leaf.
    const length = 10;
    const depth = 2 * length + 1;
    const limits = { ...DEFAULT_TREE_LIMITS, maxDepth: depth };
    expect(() => buildTree(chain(length), { limits })).not.toThrow();
    expect(() => buildTree(chain(length), { limits: { ...limits, maxDepth: depth - 1 } })).toThrow(
      expect.objectContaining({ code: 'NESTING_TOO_DEEP' }),
    );
  });

  it('refuses, by default, a chain deep enough to overflow the stack when built', () => {
    const limits = { ...DEFAULT_TREE_LIMITS, maxNodes: 1_000_000 };
    expect(() => buildTree(chain(5000), { limits })).toThrow(
      expect.objectContaining({ code: 'NESTING_TOO_DEEP' }),
    );
  });

  it('counts subtrees from library documents', () => {
    const bomb = doublingBomb(20);
    const main: TreeDocument = { format: 'canopy/1', trees: [{ name: 'main', root: { type: 'subtree', args: ['t0'] } }] };
    expect(() => buildTree(main, { library: [bomb] })).toThrow(
      expect.objectContaining({ code: 'TREE_TOO_LARGE' }),
    );
  });

  it('reports each limit as an issue of the validator, at the tree or the expression', () => {
    const issues = validateTrees(doublingBomb(16));
    // Every tree of the document whose own expansion is over the limit is named, at its form.
    const large = issues.filter((i) => i.code === 'TREE_TOO_LARGE');
    expect(large[0]).toMatchObject({ path: '/trees/0' });
    expect(large.map((i) => i.path)).toEqual(
      Array.from({ length: 16 }, (_, i) => i)
        .filter((i) => bombNodes(16 - i) > DEFAULT_TREE_LIMITS.maxNodes)
        .map((i) => `/trees/${i}`),
    );
    const sum: NodeJson = {
      type: 'condition',
      args: [{ call: '<', args: [{ call: '+', args: Array.from({ length: 1000 }, () => 1) }, 5] }],
    };
    const expr = validateTrees({ format: 'canopy/1', trees: [{ name: 'e', root: { type: 'sequence', children: [sum] } }] });
    expect(expr).toEqual([
      expect.objectContaining({ code: 'EXPRESSION_TOO_LARGE', path: '/trees/0/root/children/0/args/0' }),
    ]);
    // (< (+ 1 x 1000) 5) is 1003 terms; with 997 ones it is 1000: at the limit.
    const small: NodeJson = {
      type: 'condition',
      args: [{ call: '<', args: [{ call: '+', args: Array.from({ length: 997 }, () => 1) }, 5] }],
    };
    expect(validateTrees({ format: 'canopy/1', trees: [{ name: 'e', root: small }] })).toEqual([]);
  });

  it('measures without recursion: 100,000 chained trees do not overflow the stack', () => {
    const long = chain(100_000);
    expect(checkTreeLimits(long, DEFAULT_TREE_LIMITS, { trees: [long.trees[0]] })).toEqual([
      expect.objectContaining({ code: 'TREE_TOO_LARGE' }),
      expect.objectContaining({ code: 'NESTING_TOO_DEEP' }),
    ]);
  });
});
