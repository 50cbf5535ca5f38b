import type { TickRecordMessage } from '@canopy/contracts';
import { nextProgress, type ProgressState } from './progress';

const record = (over: Partial<TickRecordMessage>): TickRecordMessage => ({
  execId: 'e',
  tree: 't',
  version: 1,
  runner: 'r',
  epoch: 1,
  tick: 1,
  startedAt: 1000,
  durationMs: 0,
  status: 'RUNNING',
  nodes: [],
  writes: [],
  logs: [],
  progress: [],
  errors: [],
  checkpoint: { v: 1, fingerprint: 'f', tick: 1, nodes: {} },
  ...over,
});

describe(nextProgress.name, () => {
  it('has no percent and no ETA without marks or a root sequence', () => {
    expect(nextProgress(undefined, record({}), undefined)).toMatchObject({
      percent: null,
      etaMs: null,
      step: null,
      source: 'none',
    });
  });

  it('keeps the last mark until the next one, and restarts after the root finished', () => {
    let p: ProgressState = nextProgress(
      undefined,
      record({ progress: [{ nodeId: 'x', step: 'a', percent: 40 }] }),
      undefined,
    );
    p = nextProgress(p, record({ tick: 2, startedAt: 1100 }), undefined);
    expect(p).toMatchObject({ step: 'a', percent: 40, elapsedMs: 100, etaMs: 150 });
    p = nextProgress(p, record({ tick: 3, startedAt: 1200, status: 'FAILURE' }), undefined);
    expect(p).toMatchObject({ percent: 40, etaMs: null, status: 'FAILURE' });
    p = nextProgress(p, record({ tick: 4, startedAt: 5000 }), undefined);
    expect(p).toMatchObject({
      step: null,
      percent: 0,
      elapsedMs: 0,
      runStartTick: 4,
      source: 'marks',
    });
  });

  it('clamps marks to 0-100', () => {
    const p = nextProgress(
      undefined,
      record({ progress: [{ nodeId: 'x', step: 'over', percent: 250 }] }),
      undefined,
    );
    expect(p.percent).toBe(100);
  });

  it('reads a root sequence: children before the first RUNNING or FAILURE one are done', () => {
    const shape = {
      rootType: 'sequence',
      children: [
        { id: '0.0', label: 'a' },
        { id: '0.1', label: 'b' },
        { id: '0.2', label: 'c' },
        { id: '0.3', label: 'd' },
      ],
    };
    const stale = {
      '0.0': { status: 'SUCCESS' },
      '0.1': { status: 'RUNNING' },
      '0.3': { status: 'FAILURE' },
    };
    const p = nextProgress(
      undefined,
      record({ checkpoint: { v: 1, fingerprint: 'f', tick: 1, nodes: stale } }),
      shape,
    );
    expect(p).toMatchObject({ step: 'b', percent: 25, source: 'sequence' });
  });
});
