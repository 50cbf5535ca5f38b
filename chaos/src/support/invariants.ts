/** Pure checks of what the stores hold against what was committed; each returns readable problems. */

/** `[1,2,3,7,9,10]` -> `1-3, 7, 9-10` (at most `limit` ranges, then `...`). */
export function formatTicks(ticks: number[], limit = 8): string {
  const sorted = [...ticks].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.length > limit ? `${out.slice(0, limit).join(', ')}, ...` : out.join(', ');
}

export interface TickAudit {
  missing: number[];
  /** Ticks held more than once. */
  duplicated: number[];
}

/** Which ticks in `(from, to]` a store is missing or holds more than once (`counts`: tick -> copies). */
export function auditTicks(
  counts: ReadonlyMap<number, number>,
  from: number,
  to: number,
): TickAudit {
  const missing: number[] = [];
  const duplicated: number[] = [];
  for (let t = from + 1; t <= to; t++) {
    const n = counts.get(t) ?? 0;
    if (n === 0) missing.push(t);
    else if (n > 1) duplicated.push(t);
  }
  return { missing, duplicated };
}

/** `where` (stream, history) must hold every tick in `(from, to]` exactly once. */
export function tickProblems(
  where: string,
  execId: string,
  counts: ReadonlyMap<number, number>,
  from: number,
  to: number,
): string[] {
  const { missing, duplicated } = auditTicks(counts, from, to);
  const problems: string[] = [];
  if (missing.length > 0)
    problems.push(
      `${execId}: ${where} misses ${missing.length} of ticks ${from + 1}-${to}: ${formatTicks(missing)}`,
    );
  if (duplicated.length > 0)
    problems.push(
      `${execId}: ${where} holds ${duplicated.length} ticks more than once: ${formatTicks(duplicated)}`,
    );
  return problems;
}

/** Counters kept by the tree, against the committed tick count. */
export interface Counters {
  tick: number;
  counter: number | undefined;
  global: number | undefined;
}

/**
 * The per-tick counter (exec scope) and the execution's global key must both equal the tick count.
 * `before` is the same execution's counters at the previous check: a difference already reported
 * there is not reported again, so each check names what went wrong since the last one.
 */
export function counterProblems(execId: string, now: Counters, before?: Counters): string[] {
  const problems: string[] = [];
  const drift = (value: number | undefined, tick: number) => (value ?? 0) - tick;
  for (const [name, value, old] of [
    ['exec counter', now.counter, before?.counter],
    ['global key', now.global, before?.global],
  ] as const) {
    const d = drift(value, now.tick);
    const dBefore = before ? drift(old, before.tick) : 0;
    if (d !== dBefore) {
      problems.push(
        `${execId}: ${name} is ${value ?? '(absent)'} at tick ${now.tick} (${d > 0 ? '+' : ''}${d}${before ? `, was ${dBefore > 0 ? '+' : ''}${dBefore}` : ''})`,
      );
    }
  }
  return problems;
}
