import {
  CreateExecutionRequestSchema,
  DEFAULT_SHARD_COUNT,
  RegisterTreeRequestSchema,
  ScopeSchema,
  Subjects,
  TickInterruptedDetailsSchema,
  httpStatusOf,
  parseWith,
  rendezvousOwner,
  shardOf,
} from './index';

describe(shardOf.name, () => {
  it('is stable and within range', () => {
    expect(shardOf('exec-1', 64)).toBe(shardOf('exec-1', 64));
    for (let i = 0; i < 1000; i++) {
      const s = shardOf(`e${i}`, DEFAULT_SHARD_COUNT);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(DEFAULT_SHARD_COUNT);
    }
  });
});

describe(rendezvousOwner.name, () => {
  it('moves only the shards of a member that leaves', () => {
    const three = ['r1', 'r2', 'r3'];
    const two = ['r1', 'r2'];
    for (let shard = 0; shard < 64; shard++) {
      const before = rendezvousOwner(shard, three);
      const after = rendezvousOwner(shard, two);
      if (before !== 'r3') expect(after).toBe(before);
    }
  });

  it('spreads shards over members', () => {
    const counts = new Map<string, number>();
    for (let shard = 0; shard < 64; shard++) {
      const owner = rendezvousOwner(shard, ['a', 'b']) ?? 'none';
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    expect(counts.get('a')).toBeGreaterThan(16);
    expect(counts.get('b')).toBeGreaterThan(16);
  });
});

describe(parseWith.name, () => {
  it('lists every field error', () => {
    const result = parseWith(CreateExecutionRequestSchema, { tree: 'bad name!', mode: 'sometimes', maxTicks: -1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.error.code).toBe('VALIDATION_FAILED');
    expect(result.error.error.fields?.map((f) => f.field).sort()).toEqual(['maxTicks', 'mode', 'tree']);
  });

  it('names bad watchdog fields, and defaults its action to report', () => {
    const bad = parseWith(CreateExecutionRequestSchema, {
      tree: 'patrol',
      watchdog: { stuckAfterMs: 0, action: 'explode' },
      tickBudgetMs: 1.5,
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.error.error.fields?.map((f) => f.field).sort()).toEqual([
      'tickBudgetMs',
      'watchdog.action',
      'watchdog.stuckAfterMs',
    ]);
    const good = parseWith(CreateExecutionRequestSchema, { tree: 'patrol', watchdog: { stuckAfterMs: 5000 } });
    expect(good).toEqual({
      ok: true,
      value: { tree: 'patrol', mode: 'manual', watchdog: { stuckAfterMs: 5000, action: 'report' } },
    });
  });

  it('applies defaults', () => {
    const result = parseWith(CreateExecutionRequestSchema, { tree: 'patrol' });
    expect(result).toEqual({ ok: true, value: { tree: 'patrol', mode: 'manual' } });
  });

  it('requires exactly one of source and definition', () => {
    expect(parseWith(RegisterTreeRequestSchema, {}).ok).toBe(false);
    expect(parseWith(RegisterTreeRequestSchema, { source: '(tree "a" (success))', definition: {} }).ok).toBe(false);
    expect(parseWith(RegisterTreeRequestSchema, { source: '(tree "a" (success))' }).ok).toBe(true);
  });
});

describe('names', () => {
  it('builds subjects', () => {
    expect(Subjects.ticks('e1')).toBe('canopy.ticks.e1');
    expect(Subjects.event('e1', 'tick_complete')).toBe('canopy.events.e1.tick_complete');
    expect(Subjects.command(3, 'e1')).toBe('canopy.cmd.3.e1');
    expect(Subjects.bbChanged('team:red')).toBe('canopy.bb.team:red.changed');
  });

  it('validates scopes', () => {
    expect(ScopeSchema.safeParse('global').success).toBe(true);
    expect(ScopeSchema.safeParse('team:red').success).toBe(true);
    expect(ScopeSchema.safeParse('exec:a.b').success).toBe(false);
    expect(httpStatusOf('EXECUTION_STOPPED')).toBe(409);
  });
});

describe('TickInterruptedDetailsSchema', () => {
  it('reads the ticks a runner committed before it gave an execution up', () => {
    expect(TickInterruptedDetailsSchema.parse({ ticksDone: 3 })).toEqual({ ticksDone: 3 });
    for (const details of [undefined, {}, { ticksDone: -1 }, { ticksDone: 1.5 }, { done: 2 }])
      expect(TickInterruptedDetailsSchema.safeParse(details).success).toBe(false);
  });
});
