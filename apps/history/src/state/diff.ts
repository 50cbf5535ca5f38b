import type { BlackboardState, TickDiff } from '@canopy/contracts';
import type { Status } from '@canopy/engine';
import { isDeepStrictEqual } from 'node:util';

interface Side {
  statuses: Record<string, Status>;
  blackboard: BlackboardState;
}

/** What differs between two states: node statuses, and blackboard values (absent = no key). */
export function diffStates(from: Side, to: Side): Pick<TickDiff, 'nodes' | 'blackboard'> {
  const nodes: TickDiff['nodes'] = [];
  for (const id of union(Object.keys(from.statuses), Object.keys(to.statuses))) {
    const a = from.statuses[id] ?? 'IDLE';
    const b = to.statuses[id] ?? 'IDLE';
    if (a !== b) nodes.push({ id, from: a, to: b });
  }
  const blackboard: TickDiff['blackboard'] = [];
  for (const scope of union(Object.keys(from.blackboard), Object.keys(to.blackboard)).sort()) {
    const a = from.blackboard[scope] ?? {};
    const b = to.blackboard[scope] ?? {};
    for (const key of union(Object.keys(a), Object.keys(b)).sort()) {
      const inA = Object.hasOwn(a, key);
      const inB = Object.hasOwn(b, key);
      if (inA && inB && isDeepStrictEqual(a[key], b[key])) continue;
      const change: TickDiff['blackboard'][number] = { scope, key };
      if (inA) change.from = a[key];
      if (inB) change.to = b[key];
      blackboard.push(change);
    }
  }
  return { nodes, blackboard };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}
