/**
 * Trees the history tests run in the embedded engine. Deterministic under a ManualClock: no
 * actions, no randomness.
 */

/**
 * A run takes ~5 ticks at 10 ms per tick: writes to every persistent scope (exec, team, global),
 * deletes and re-creates a key, marks progress, waits.
 */
export const PATROL = `
(tree "patrol"
  (sequence
    (set "count" (+ (get "count" 0) 1))
    (set "team:seen" $count)
    (progress "counted" 25)
    (wait :ms 30)
    (set "global:last" (str "run " $count))
    (progress "waited" 75)
    (selector
      (sequence (condition (= (mod $count 3) 0)) (unset "flag"))
      (set "flag" $count))
    (progress "done" 100)))
`;

/** No progress marks: progress comes from the root sequence's children. */
export const STEPS = `
(tree "steps"
  (sequence
    (wait :ms 40 :name "fetch")
    (wait :ms 40 :name "parse")
    (wait :ms 40 :name "store")
    (wait :ms 40 :name "report")))
`;

/** Counts forever with no time in it: a fork from tick N must continue exactly as the original. */
export const COUNTER = `
(tree "counter"
  (sequence
    (set "n" (+ (get "n" 0) 1))
    (selector
      (sequence (condition (= (mod $n 4) 0)) (set "fours" (+ (get "fours" 0) 1)))
      (success))
    (repeat :times 3 (set "inner" (+ (get "inner" 0) $n)))))
`;
