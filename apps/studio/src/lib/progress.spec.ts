import type { Execution } from '../api/types';
import { needsPoll, POLL_MS, progressFromEvent, type ProgressEntry } from './progress';

const exec = (id: string, tick: number, state: Execution['state'] = 'running'): Execution => ({
  id,
  tree: 't',
  version: 1,
  mode: 'interval',
  state,
  status: 'RUNNING',
  tick,
  createdAt: '',
});
const entry = (id: string, tick: number, pushedAt?: number): ProgressEntry => ({
  progress: { execId: id, tick, percent: 50, step: null, elapsedMs: 10, etaMs: null, status: 'RUNNING', source: 'marks' },
  pushedAt,
});

describe('progress', () => {
  it('reads the pushed execution_progress event (docs/streams.md)', () => {
    expect(
      progressFromEvent({ type: 'execution_progress', execId: 'a', tick: 4, seq: -1, data: { percent: 40, step: 'hall', elapsedMs: 800, etaMs: 1200, status: 'RUNNING', source: 'marks' } }),
    ).toEqual({ execId: 'a', tick: 4, percent: 40, step: 'hall', elapsedMs: 800, etaMs: 1200, status: 'RUNNING', source: 'marks' });
    expect(progressFromEvent({ type: 'tick_complete', execId: 'a', tick: 4, seq: 9, data: {} })).toBeUndefined();
    expect(progressFromEvent({ type: 'execution_progress', execId: 'a', tick: 4, seq: -1, data: { percent: null, step: null, elapsedMs: 5, etaMs: null, status: 'RUNNING', source: 'none' } })).toBeUndefined();
    // A tree's own (progress ...) node event: a node's mark, not the execution's progress.
    expect(progressFromEvent({ type: 'progress', execId: 'a', tick: 4, seq: 5, data: { nodeId: '0.2', step: 'patrol done', percent: 100 } })).toBeUndefined();
  });

  it('polls ticked executions unless progress was pushed recently or they are finished', () => {
    const now = 100_000;
    const list = [exec('never-ticked', 0), exec('pushed', 5), exec('stale-push', 5), exec('polled', 5), exec('done', 9, 'completed'), exec('done-moved', 9, 'stopped')];
    const entries = new Map<string, ProgressEntry>([
      ['pushed', entry('pushed', 5, now - 100)],
      ['stale-push', entry('stale-push', 5, now - POLL_MS * 2)],
      ['polled', entry('polled', 4)],
      ['done', entry('done', 9)],
      ['done-moved', entry('done-moved', 8)],
    ]);
    expect(needsPoll(list, entries, now)).toEqual(['stale-push', 'polled', 'done-moved']);
  });
});
