import {
  BehaviorTree,
  BuildError,
  MemoryBlackboard,
  type ActionOutcome,
  type Checkpoint,
  type LlmProvider,
  type NodeJson,
  type TickRecord,
  type TreeDocument,
} from '../src';
import {
  act,
  call,
  cond,
  doc,
  flush,
  harness,
  kw,
  n,
  ok,
  run,
  set,
  st,
  trace,
  v,
  type Harness,
} from './helpers';

interface Scenario {
  root: NodeJson | TreeDocument;
  ticks: number;
  stepMs?: number;
  exec?: Record<string, unknown>;
  /** Exec keys set before the given (1-based) tick. */
  inputs?: Record<number, Record<string, unknown>>;
}

/** Streams two tokens during the call, then resolves: settles between ticks. */
const llm: LlmProvider = async (req, ctx) => {
  ctx.onToken(`re: `);
  ctx.onToken(req.prompt);
  return { text: `re: ${req.prompt}!`, tokens: 3 };
};

function start(s: Scenario, bb: MemoryBlackboard): Harness {
  const h = harness(s.root, { bb, llm, execId: 'E' });
  h.actions.register('st', (args) => h.bb.get('exec', args.key as string) as ActionOutcome);
  // Settles in a microtask: the result is applied on the next tick.
  h.actions.register(
    'later',
    async (args) => h.bb.get('exec', args.key as string) as ActionOutcome,
  );
  return h;
}

async function tickFrom(h: Harness, s: Scenario, from: number, to: number): Promise<TickRecord[]> {
  const out: TickRecord[] = [];
  for (let i = from; i <= to; i++) {
    for (const [k, x] of Object.entries(s.inputs?.[i] ?? {})) h.bb.set('exec', k, x);
    out.push(h.tree.tick());
    h.clock.advance(s.stepMs ?? 10);
    await flush();
  }
  return out;
}

function copyStore(bb: MemoryBlackboard): MemoryBlackboard {
  const copy = (scope: 'global' | 'team' | 'exec') => structuredClone(bb.snapshot(scope));
  return new MemoryBlackboard({ global: copy('global'), team: copy('team'), exec: copy('exec') });
}

async function uninterrupted(s: Scenario): Promise<TickRecord[]> {
  return tickFrom(
    start(s, new MemoryBlackboard({ exec: structuredClone(s.exec ?? {}) })),
    s,
    1,
    s.ticks,
  );
}

/** Ticks k times, checkpoints through JSON, restores into a fresh tree over a copied store, continues. */
async function interrupted(
  s: Scenario,
  k: number,
): Promise<{ records: TickRecord[]; cp: Checkpoint }> {
  const a = start(s, new MemoryBlackboard({ exec: structuredClone(s.exec ?? {}) }));
  const first = await tickFrom(a, s, 1, k);
  const cp = JSON.parse(JSON.stringify(a.tree.checkpoint())) as Checkpoint;
  const b = start(s, copyStore(a.bb));
  b.clock.set(a.clock.now());
  b.tree.restore(cp);
  expect(b.tree.tickCount).toBe(k);
  expect(b.tree.statuses()).toEqual(a.tree.statuses());
  return { records: [...first, ...(await tickFrom(b, s, k + 1, s.ticks))], cp };
}

const R = 'RUNNING';
const S = 'SUCCESS';
const F = 'FAILURE';
const opt = (score: string, child: NodeJson, id: string) =>
  n('option', { id, args: [v(score)] }, child);

const SCENARIOS: Record<string, Scenario> = {
  'sequence, selector, constants and condition': {
    root: n('sequence', n('selector', cond(v('c')), st('a', 'a')), st('b', 'b'), n('failure')),
    ticks: 6,
    exec: { c: false, a: R, b: R },
    inputs: { 2: { a: S }, 4: { b: S }, 5: { c: true } },
  },
  'reactive-sequence and reactive-selector': {
    root: n(
      'reactive-sequence',
      cond(v('ok')),
      n('reactive-selector', cond(v('hi')), st('b', 'b')),
      n('running'),
    ),
    ticks: 6,
    exec: { ok: true, hi: false, b: R },
    inputs: { 3: { hi: true }, 4: { ok: false }, 5: { ok: true, hi: false, b: S } },
  },
  'memory-sequence and memory-selector': {
    root: n(
      'sequence',
      n('memory-selector', st('x', 'x'), st('y', 'y')),
      n('memory-sequence', ok(), st('a', 'a'), st('b', 'b')),
    ),
    ticks: 7,
    exec: { x: F, y: S, a: S, b: F },
    inputs: { 3: { b: R }, 4: { b: S }, 6: { y: F } },
  },
  parallel: {
    root: n('parallel', { kw: { success: 2 } }, st('a', 'a'), st('b', 'b'), run()),
    ticks: 6,
    exec: { a: R, b: R },
    inputs: { 2: { a: S }, 4: { b: S } },
  },
  'scoring-selector and option': {
    root: n(
      'scoring-selector',
      { kw: { hysteresis: 5 } },
      opt('sa', st('a', 'a'), 'oa'),
      opt('sb', st('b', 'b'), 'ob'),
    ),
    ticks: 7,
    exec: { sa: 10, sb: 0, a: R, b: R },
    inputs: { 2: { sb: 14 }, 3: { sb: 16 }, 5: { b: F }, 6: { sa: 20 } },
  },
  'invert, force-success, force-failure': {
    root: n(
      'sequence',
      n('invert', st('a', 'a')),
      n('force-success', st('b', 'b')),
      n('force-failure', st('c', 'c')),
    ),
    ticks: 5,
    exec: { a: R, b: F, c: S },
    inputs: { 2: { a: F }, 3: { b: R }, 4: { b: F } },
  },
  'repeat and retry': {
    root: n(
      'sequence',
      n('repeat', { kw: { times: 3 } }, st('a', 'a')),
      n('retry', { kw: { times: v('n') } }, n('failure')),
    ),
    ticks: 9,
    exec: { a: S, n: 2 },
    inputs: { 2: { a: R }, 3: { a: S } },
  },
  'until-success and until-failure': {
    root: n('sequence', n('until-success', st('a', 'a')), n('until-failure', st('b', 'b'))),
    ticks: 6,
    exec: { a: F, b: S },
    inputs: { 3: { a: S }, 5: { b: F } },
  },
  'timeout, delay and wait': {
    root: n(
      'sequence',
      n('delay', { kw: { ms: 25 } }, n('wait', { kw: { ms: v('w') } })),
      n('timeout', { kw: { ms: 35 } }, run()),
    ),
    ticks: 12,
    exec: { w: 20 },
  },
  cooldown: {
    root: n('sequence', n('cooldown', { kw: { ms: 30 } }, st('a', 'a'))),
    ticks: 9,
    exec: { a: R },
    inputs: { 3: { a: S } },
  },
  'guard and run-once': {
    root: n('sequence', n('run-once', st('o', 'o')), n('guard', { args: [v('go')] }, st('a', 'a'))),
    ticks: 7,
    exec: { o: R, go: true, a: R },
    inputs: { 2: { o: S }, 4: { go: false, o: F }, 5: { go: true } },
  },
  'for-each': {
    root: n(
      'for-each',
      { kw: { in: v('items'), as: 'it' } },
      n('sequence', n('log', { args: ['item', v('it')] }), st('r', 'r')),
    ),
    ticks: 8,
    exec: { items: [1, { k: 2 }, 'three'], r: S },
    inputs: { 2: { r: R }, 3: { r: S }, 4: { items: [] } },
  },
  semaphore: {
    root: n(
      'sequence',
      n('semaphore', { id: 'sem', kw: { name: 'dock', max: 1 } }, st('a', 'a')),
      n('semaphore', { kw: { name: 'dock', max: 1 } }, ok()),
    ),
    ticks: 6,
    exec: { a: R },
    inputs: { 3: { a: S } },
  },
  'set, unset, log, progress': {
    root: n(
      'sequence',
      set('n', call('+', call('get', 'n', 0), 1)),
      set('pose/x', v('n')),
      n('unset', { args: ['gone'] }),
      n('log', { args: ['n', v('n'), v('pose')] }),
      n('progress', { args: ['step', call('*', v('n'), 10)] }),
      n('wait', { kw: { ms: 15 } }),
    ),
    ticks: 6,
    exec: { gone: 1 },
  },
  'actions, sync RUNNING and async': {
    root: n(
      'sequence',
      act('st', { key: 'a' }, 'sync'),
      act('later', { key: 'b' }, 'async'),
      act('later', { key: 'c', extra: { list: [1, kw('x')] } }, 'async2'),
    ),
    ticks: 7,
    exec: { a: R, b: R, c: S },
    inputs: { 2: { a: S }, 4: { b: S } },
  },
  'subtree with arguments': {
    root: doc(
      n(
        'sequence',
        n('subtree', { id: 'call', args: ['child'], kw: { speed: call('*', v('base'), 2) } }),
        st('z', 'z'),
      ),
      {
        name: 'child',
        root: n('sequence', set('seen', v('speed')), n('wait', { kw: { ms: v('speed') } })),
      },
    ),
    ticks: 8,
    exec: { base: 10, z: R },
    inputs: { 5: { base: 5, z: S } },
  },
  'llm-call': {
    root: n(
      'sequence',
      n('llm-call', { kw: { prompt: call('str', 'q', call('tick')), into: 'answer' } }),
      st('z', 'z'),
    ),
    ticks: 6,
    exec: { z: R },
    inputs: { 4: { z: S } },
  },
};

describe(BehaviorTree.name, () => {
  describe('checkpoint and restore', () => {
    describe.each(Object.entries(SCENARIOS))('%s', (_name, s) => {
      it('continues exactly like an uninterrupted run, from every tick', async () => {
        const full = trace(await uninterrupted(s));
        // The scenario must exercise something: not a single status throughout.
        expect(new Set(full.map((r) => r.status)).size).toBeGreaterThan(1);
        for (let k = 1; k < s.ticks; k++) {
          const { records } = await interrupted(s, k);
          expect({ k, trace: trace(records) }).toEqual({ k, trace: full });
        }
      });
    });

    it('saves only non-initial state, as plain JSON', () => {
      const h = harness(n('sequence', ok(), n('repeat', { kw: { times: 3 } }, ok()), cond(true)));
      expect(h.tree.checkpoint()).toEqual({
        v: 1,
        fingerprint: h.tree.fingerprint,
        tick: 0,
        nodes: {},
      });
      h.tree.tick();
      expect(h.tree.checkpoint()).toEqual({
        v: 1,
        fingerprint: h.tree.fingerprint,
        tick: 1,
        nodes: {
          '0': { current: 1, status: 'RUNNING' },
          '0.0': { status: 'SUCCESS' },
          '0.1': { times: 3, count: 1, status: 'RUNNING' },
          '0.1.0': { status: 'SUCCESS' },
        },
      });
    });

    it('re-invokes an action that was pending, with the same invocationId', async () => {
      const ids: string[] = [];
      const pending = () => new Promise<ActionOutcome>(() => undefined);
      const a = harness(act('slow', { to: 'door' }, 'a'), { execId: 'E' });
      a.actions.register('slow', (_args, ctx) => {
        ids.push(ctx.invocationId);
        return pending();
      });
      a.ticks(2);
      const b = harness(act('slow', { to: 'door' }, 'a'), { execId: 'E' });
      const args: unknown[] = [];
      b.actions.register('slow', (x, ctx) => {
        ids.push(ctx.invocationId);
        args.push(x);
        return pending();
      });
      b.tree.restore(JSON.parse(JSON.stringify(a.tree.checkpoint())));
      expect(b.tree.tick().status).toBe('RUNNING');
      expect(ids).toEqual(['E:a:1', 'E:a:1']);
      expect(args).toEqual([{ to: 'door' }]);
      await flush();
    });

    it('refuses a checkpoint from another tree', () => {
      const a = harness(n('sequence', ok()));
      const b = harness(n('selector', ok()));
      expect(() => b.tree.restore(a.tree.checkpoint())).toThrow(BuildError);
      try {
        b.tree.restore(a.tree.checkpoint());
      } catch (e) {
        expect((e as BuildError).code).toBe('CHECKPOINT_MISMATCH');
      }
      expect(() => b.tree.restore({ v: 2 } as unknown as Checkpoint)).toThrow(
        'not a version 1 checkpoint',
      );
    });

    it('restores into a tree that already ran, replacing its state', () => {
      const a = harness(n('sequence', ok(), run()));
      const cp = a.tree.checkpoint();
      a.ticks(3);
      a.tree.restore(cp);
      expect(a.tree.tickCount).toBe(0);
      expect(Object.values(a.tree.statuses()).every((s) => s === 'IDLE')).toBe(true);
      expect(a.tree.tick().nodes).toHaveLength(3);
    });
  });
});
