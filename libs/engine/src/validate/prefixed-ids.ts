import type { NodeJson, TreeDocument } from '../model/json';
import { jsonPointer } from './issue';
import { parallelCopies } from './tree-limits';

/**
 * Ids of the built tree, as the engine gives them (`buildTree`): an implicit id is the index path
 * from the built root (a subtree's root continues its subtree node's path), an explicit id is the
 * `:id`, prefixed `<subtree node id>/` inside a subtree instance.
 *
 * Implicit ids never contain '/' and explicit ids never look like index paths, so only explicit
 * ids can collide. If no explicit id contains '/', splitting a prefixed id at its '/'s gives back
 * the chain of subtree nodes and the `:id` inside the innermost instance, each unique within its
 * tree, so no two nodes share an id. Only documents with a '/' in an explicit id are expanded here.
 */
export interface IdCollision {
  /** The id in the built tree. */
  id: string;
  /** The tree being built. */
  tree: string;
  /** Pointer of the `:id` of the later node (in the order the engine builds). */
  path: string;
  /** Pointer of the node that has the id first. */
  first: string;
}

/** The id in the built tree of an explicit `:id`, inside a subtree instance whose node has `prefix`. */
export function instanceId(prefix: string | null, id: string): string {
  return prefix === null ? id : `${prefix}/${id}`;
}

/** Nodes visited over all expansions before giving up (an expansion can grow exponentially). */
export const EXPANSION_BUDGET = 100_000;

interface Frame {
  node: NodeJson;
  path: string;
  /** The implicit (index path) id. */
  at: string;
  prefix: string | null;
  instance: number;
  /** Trees being expanded, outermost first: a repeat is a recursive subtree (reported elsewhere). */
  trees: readonly number[];
}

/**
 * Expands every tree of the document as the root of a build, through subtrees of the same
 * document (others cannot be seen), and reports ids used twice. A pair of nodes is reported once,
 * for the first tree that shows it; trees are built callees first, so a clash inside a subtree is
 * named in that subtree's own ids. Ids used twice within one instance are duplicate ids of one
 * tree, reported by the validator already.
 */
export function prefixedIdCollisions(
  document: TreeDocument,
  local: ReadonlyMap<string, number>,
  outgoing: readonly (readonly number[])[],
  isBroken: (value: unknown) => boolean,
  budget = EXPANSION_BUDGET,
): IdCollision[] {
  const collisions: IdCollision[] = [];
  const reported = new Set<string>();
  let visits = 0;
  for (const root of calleesFirst(outgoing)) {
    const tree = document.trees[root];
    if (isBroken(tree) || isBroken(tree.root)) continue;
    const seen = new Map<string, { path: string; instance: number }>();
    let instances = 0;
    const stack: Frame[] = [
      {
        node: tree.root,
        path: `${jsonPointer('/trees', root)}/root`,
        at: '0',
        prefix: null,
        instance: 0,
        trees: [root],
      },
    ];
    while (stack.length > 0) {
      if (++visits > budget) return collisions;
      const frame = stack.pop() as Frame;
      const { node } = frame;
      if (isBroken(node)) continue;
      let id = frame.at;
      if (typeof node.id === 'string' && node.id !== '') {
        id = instanceId(frame.prefix, node.id);
        const first = seen.get(id);
        if (first === undefined) {
          seen.set(id, { path: frame.path, instance: frame.instance });
        } else if (first.instance !== frame.instance && first.path !== frame.path) {
          const key = `${frame.path}\n${first.path}`;
          if (!reported.has(key)) {
            reported.add(key);
            collisions.push({ id, tree: tree.name, path: `${frame.path}/id`, first: first.path });
          }
        }
      }
      const name = node.type === 'subtree' ? node.args?.[0] : undefined;
      if (typeof name === 'string') {
        const target = local.get(name);
        if (target === undefined || frame.trees.includes(target)) continue;
        stack.push({
          node: document.trees[target].root,
          path: `${jsonPointer('/trees', target)}/root`,
          at: `${frame.at}.0`,
          prefix: id,
          instance: ++instances,
          trees: [...frame.trees, target],
        });
        continue;
      }
      const children = node.children;
      if (!Array.isArray(children)) continue;
      const copies = parallelCopies(node);
      if (copies > 1 && children.length === 1) {
        // `:parallel N`: N instances of the child, explicit ids prefixed with each copy's path.
        for (let k = copies - 1; k >= 0; k--) {
          const at = `${frame.at}.${k}`;
          stack.push({ node: children[0], path: `${frame.path}/children/0`, at, prefix: at, instance: ++instances, trees: frame.trees });
        }
        continue;
      }
      // Pushed last to first, so nodes are visited in the engine's (depth-first, in order) order.
      for (let i = children.length - 1; i >= 0; i--) {
        stack.push({
          node: children[i],
          path: `${frame.path}/children/${i}`,
          at: `${frame.at}.${i}`,
          prefix: frame.prefix,
          instance: frame.instance,
          trees: frame.trees,
        });
      }
    }
  }
  return collisions;
}

/** Tree indexes, each after the trees it references (cycles are broken anywhere). */
function calleesFirst(outgoing: readonly (readonly number[])[]): number[] {
  const order: number[] = [];
  const state = outgoing.map(() => 0); // 0 new, 1 active, 2 done
  for (let start = 0; start < outgoing.length; start++) {
    if (state[start] !== 0) continue;
    const stack = [{ tree: start, next: 0 }];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < outgoing[top.tree].length) {
        const target = outgoing[top.tree][top.next++];
        if (state[target] === 0) {
          state[target] = 1;
          stack.push({ tree: target, next: 0 });
        }
      } else {
        state[top.tree] = 2;
        order.push(top.tree);
        stack.pop();
      }
    }
  }
  return order;
}
