import type { TickRecordMessage } from '@canopy/contracts';

/**
 * Deterministic under manual ticks: odd ticks count, log and report 50 %, and the repeat runs its
 * child once (RUNNING); even ticks finish the repeat and report 100 % (SUCCESS). Then it restarts.
 */
export const STEPS_TREE = `(tree "e2e-steps"
  (sequence :id "main"
    (set "count" (+ (get "count" 0) 1))
    (log "count is" $count)
    (progress "counted" 50)
    (repeat :times 2
      (set "laps" (+ (get "laps" 0) 1)))
    (progress "done" 100)))
`;

/** A round that takes real time (`wait`), for interval executions. */
export const WAITER_TREE = `(tree "e2e-waiter"
  (sequence :id "round"
    (set "rounds" (+ (get "rounds" 0) 1))
    (wait :ms 120)
    (log "round done" $rounds)
    (progress "round" 100)))
`;

/** Calls an action served by an ActionWorker in the test, with the count as argument. */
export const AGENT_TREE = `(tree "e2e-agent"
  (sequence :id "agent"
    (set "asked" (+ (get "asked" 0) 1))
    (log "asking" $asked)
    (progress "asked" 50)
    (wait :ms 0)
    (action e2e-double :value $asked)
    (set "answered" $asked)
    (progress "answered" 100)))
`;

type Fields = Pick<TickRecordMessage, 'status' | 'nodes' | 'writes' | 'logs' | 'progress'>;

/** What tick `k` (from 1) of a fresh `e2e-steps` execution records; `count` is the value before the tick. */
export function expectedSteps(k: number, countBefore: number): Fields {
  const lapsOld = k - 1;
  const laps =
    k === 1
      ? { key: 'laps', scope: 'exec', new: 1 }
      : { key: 'laps', scope: 'exec', old: lapsOld, new: k };
  if (k % 2 === 1) {
    const count =
      k === 1 && countBefore === 0
        ? { key: 'count', scope: 'exec', new: 1 }
        : { key: 'count', scope: 'exec', old: countBefore, new: countBefore + 1 };
    const nodes =
      k === 1
        ? [
            { id: '0.0', from: 'IDLE', to: 'SUCCESS' },
            { id: '0.1', from: 'IDLE', to: 'SUCCESS' },
            { id: '0.2', from: 'IDLE', to: 'SUCCESS' },
            { id: '0.3.0', from: 'IDLE', to: 'SUCCESS' },
            { id: '0.3', from: 'IDLE', to: 'RUNNING' },
            { id: 'main', from: 'IDLE', to: 'RUNNING' },
          ]
        : [
            { id: '0.3', from: 'SUCCESS', to: 'RUNNING' },
            { id: 'main', from: 'SUCCESS', to: 'RUNNING' },
          ];
    return {
      status: 'RUNNING',
      nodes: nodes as Fields['nodes'],
      writes: [count, laps],
      logs: [{ nodeId: '0.1', message: 'count is', values: [countBefore + 1] }],
      progress: [{ nodeId: '0.2', step: 'counted', percent: 50 }],
    };
  }
  const nodes =
    k === 2
      ? [
          { id: '0.3', from: 'RUNNING', to: 'SUCCESS' },
          { id: '0.4', from: 'IDLE', to: 'SUCCESS' },
          { id: 'main', from: 'RUNNING', to: 'SUCCESS' },
        ]
      : [
          { id: '0.3', from: 'RUNNING', to: 'SUCCESS' },
          { id: 'main', from: 'RUNNING', to: 'SUCCESS' },
        ];
  return {
    status: 'SUCCESS',
    nodes: nodes as Fields['nodes'],
    writes: [laps],
    logs: [],
    progress: [{ nodeId: '0.4', step: 'done', percent: 100 }],
  };
}
