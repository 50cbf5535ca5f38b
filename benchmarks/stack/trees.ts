/** The 20-node body the stack benchmark ticks: it writes `n` and `phase`, evaluates a few
 * conditions and succeeds. */
const BODY = `(sequence :id "root"
  (set "n" (+ (get "n" 0) 1))
  (selector
    (condition (< $n 0))
    (condition (= (get "mode" "patrol") "charge"))
    (sequence
      (condition (>= $n 0))
      (invert (condition (> (get "battery" 100) 100)))
      (success)))
  (reactive-selector
    (condition (< (get "battery" 100) 20))
    (force-success
      (sequence
        (condition (>= (get "battery" 100) 20))
        (set "phase" (mod $n 4))
        (success))))
  (selector
    (failure)
    (success)))`;

export const TREE = `(tree "bench-20" ${BODY})\n`;

/** The same body under `repeat :times -1`: the root stays RUNNING, so `auto` never completes. */
export const AUTO_TREE = `(tree "bench-auto" (repeat :times -1 ${BODY}))\n`;
