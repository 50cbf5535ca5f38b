import type { Checkpoint } from '@canopy/engine';
import { diffStates } from './diff';
import { applyDelta, emptyFrame, statusesFrom } from './frame';

const checkpoint = (nodes: Record<string, unknown>): Checkpoint => ({
  v: 1,
  fingerprint: 'f',
  tick: 1,
  nodes,
});

describe(applyDelta.name, () => {
  it('applies writes and deletes by scope, and status changes in order', () => {
    const frame = emptyFrame(0);
    applyDelta(frame, 1, {
      nodes: [
        { id: '0.1', from: 'IDLE', to: 'RUNNING' },
        { id: '0.1', from: 'RUNNING', to: 'SUCCESS' },
      ],
      writes: [
        { scope: 'exec', key: 'a', new: 1 },
        { scope: 'team', key: 'b', new: null },
        { scope: 'exec', key: 'c', new: [] },
      ],
    });
    applyDelta(frame, 2, { writes: [{ scope: 'exec', key: 'a', old: 1 }] });
    expect(frame).toEqual({
      tick: 2,
      statuses: { '0.1': 'SUCCESS' },
      blackboard: { exec: { c: [] }, team: { b: null } },
    });
  });

  it('takes statuses from the checkpoint when it has one', () => {
    const frame = applyDelta(
      emptyFrame(4),
      5,
      undefined,
      checkpoint({ '0': { status: 'RUNNING' } }),
    );
    expect(frame.statuses).toEqual({ '0': 'RUNNING' });
  });
});

describe(statusesFrom.name, () => {
  it('reads non-IDLE statuses and defaults the rest to IDLE', () => {
    expect(
      statusesFrom(checkpoint({ '0': { current: 1, status: 'RUNNING' }, '0.2': { memory: 1 } }), [
        '0',
        '0.1',
      ]),
    ).toEqual({ '0': 'RUNNING', '0.1': 'IDLE', '0.2': 'IDLE' });
  });
});

describe(diffStates.name, () => {
  it('lists changed statuses and values, absent meaning no key', () => {
    expect(
      diffStates(
        { statuses: { a: 'RUNNING', b: 'IDLE' }, blackboard: { exec: { x: { p: 1 }, y: 2 } } },
        { statuses: { a: 'SUCCESS', c: 'FAILURE' }, blackboard: { exec: { x: { p: 1 }, z: 3 } } },
      ),
    ).toEqual({
      nodes: [
        { id: 'a', from: 'RUNNING', to: 'SUCCESS' },
        { id: 'c', from: 'IDLE', to: 'FAILURE' },
      ],
      blackboard: [
        { scope: 'exec', key: 'y', from: 2 },
        { scope: 'exec', key: 'z', to: 3 },
      ],
    });
  });
});
