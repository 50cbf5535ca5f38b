import type { TickSummary } from '@canopy/contracts';
import { executionStats, percentile, summaryOf } from './stats';

describe(percentile.name, () => {
  it('is the nearest-rank percentile', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([], 50)).toBe(0);
  });
});

describe(executionStats.name, () => {
  const tick = (n: number, llm?: { provider: string; model: string; inputTokens: number; outputTokens: number }[]): TickSummary =>
    summaryOf({ tick: n, startedAt: n * 10, durationMs: 1, status: 'RUNNING', nodes: [], writes: [], logs: [], progress: [], errors: [], llm });

  it('sums llm-calls and tokens, in all and per provider and model', () => {
    const a = { provider: 'openai', model: 'small', inputTokens: 10, outputTokens: 4 };
    const b = { provider: 'anthropic', model: 'big', inputTokens: 100, outputTokens: 50 };
    const stats = executionStats('e', [tick(1, [a]), tick(2), tick(3, [a, b])], 3);
    expect(stats.llm).toEqual({
      calls: 3,
      inputTokens: 120,
      outputTokens: 58,
      models: [
        { provider: 'openai', model: 'small', calls: 2, inputTokens: 20, outputTokens: 8 },
        { provider: 'anthropic', model: 'big', calls: 1, inputTokens: 100, outputTokens: 50 },
      ],
    });
  });

  it('has no llm part when no tick recorded a call', () => {
    expect(executionStats('e', [tick(1), tick(2, [])], 2)).not.toHaveProperty('llm');
    expect(tick(2, [])).not.toHaveProperty('llm');
  });
});
