import {
  DebugError,
  type DebugOutcome,
  type Debugger,
  type StepMode,
  type TickRecord,
} from '../src';

/** `before x`, `after x SUCCESS`, or `completed SUCCESS`: where a step ended. */
export function where(o: DebugOutcome): string {
  if (o.kind === 'completed') return `completed ${o.record.status}`;
  const at = o.at;
  return `${at.when} ${at.nodeId}${at.status ? ` ${at.status}` : ''}`;
}

/** Steps with `modes` in turn until the tick completes; returns where each step ended. */
export function walk(dbg: Debugger, ...modes: StepMode[]): string[] {
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const o = dbg.step(modes[i % modes.length]);
    out.push(where(o));
    if (o.kind === 'completed') return out;
    if (i > 1000) throw new Error('the tick does not complete');
  }
}

/** Steps once; the test expects the tick to complete and gets its record. */
export function completed(o: DebugOutcome): TickRecord {
  if (o.kind !== 'completed')
    throw new Error(`expected the tick to complete, it paused at ${where(o)}`);
  return o.record;
}

/** Steps until the tick completes, with `mode` each time. */
export function finish(dbg: Debugger, mode: StepMode = 'continue'): TickRecord {
  for (let i = 0; i < 1000; i++) {
    const o = dbg.step(mode);
    if (o.kind === 'completed') return o.record;
  }
  throw new Error('the tick does not complete');
}

/** The DebugError `f` throws (fails the test when it throws nothing or something else). */
export function errorOf(f: () => void): DebugError {
  try {
    f();
  } catch (e) {
    if (e instanceof DebugError) return e;
    throw e;
  }
  throw new Error('expected a DebugError');
}
