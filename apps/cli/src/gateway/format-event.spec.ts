import { formatMessage } from './format-event';

describe('formatMessage: what the SDK adds after a reconnect', () => {
  const base = { execId: 'e1', seq: -1 };

  it('shows a tick from history like a live tick, marked as such', () => {
    const line = formatMessage(
      {
        ...base,
        type: 'history_tick',
        tick: 43,
        data: {
          tick: 43,
          startedAt: 0,
          durationMs: 0.31,
          status: 'RUNNING',
          counts: { nodes: 1, writes: 0, logs: 0, progress: 0, errors: 0 },
        },
      },
      { color: false },
    );
    expect(line).toBe('#  43 ● tick RUNNING 0.3 ms, 1 change, 0 writes (from history)');
  });

  it('names the ticks history could not give', () => {
    const line = formatMessage(
      { ...base, type: 'gap', tick: 57, data: { from: 43, to: 57, reason: 'history unavailable' } },
      { color: false },
    );
    expect(line).toBe('#  57 … ticks 43-57 missed: history unavailable');
  });
});
