// Trees the Studio browser test drives.

/** Small and deterministic: tick 1 fails in "work" (count 1), later ticks succeed. */
export const DEMO_TREE = `(tree "studio-demo"
  (sequence :id "main"
    (set "count" (+ (get "count" 0) 1))
    (sequence :id "work"
      (log "working" $count)
      (condition (> $count 1)))
    (set "done" true)))
`;

/** The demo after an edit: one more node, "finish". */
export const DEMO_TREE_V2 = DEMO_TREE.replace('(set "done" true)))', '(set "done" true)\n    (log :id "finish" "finished" $count)))');

/** Does not compile: an unknown node type on line 3. */
export const BROKEN_TREE = `(tree "studio-demo"
  (sequence :id "main"
    (no-such-node "x")))
`;

/**
 * A wide tree of `groups` x 4 + 2 nodes whose statuses all flip on every tick: each group is a
 * selector over an inverted condition on the tick parity and a fallback that always succeeds.
 */
export function flippingTree(name: string, groups: number): string {
  const group = (i: number) =>
    `    (selector :id "g${i}" (invert (condition (= (mod $t 2) 0))) (condition true))`;
  return `(tree "${name}"\n  (sequence :id "root"\n    (set "t" (+ (get "t" 0) 1))\n${Array.from({ length: groups }, (_, i) => group(i)).join('\n')}))\n`;
}
