import type { DebugBreakpoint, NodeJson } from '../src';
import { completed, errorOf, where } from './debug-helpers';
import { act, doc, harness, n, set, trace, v } from './helpers';

/** A breakpoint with the contract's defaults. */
function bp(id: string, nodeId: string, more: Partial<DebugBreakpoint> = {}): DebugBreakpoint {
  return { id, nodeId, when: 'before', mode: 'break', once: false, enabled: true, ...more };
}

/** A tree with `go` (a counting action) between two writes; `inner` is what sits at `go`. */
function tree(inner: NodeJson = act('go', undefined, 'go')) {
  const root = n('sequence', { id: 'root' }, set('x', 1, 'x'), inner, set('y', 2, 'y'));
  const h = harness(root, { bb: { exec: { x: 0 } } });
  let calls = 0;
  h.actions.register('go', () => {
    calls++;
    return 'SUCCESS';
  });
  return { ...h, dbg: h.tree.debug(), calls: () => calls };
}

describe('Debugger hooks', () => {
  describe('break', () => {
    it('stops before a node, or after it with its status, and reports the hit', () => {
      const { dbg } = tree();
      dbg.setBreakpoint(bp('b1', 'go'));
      dbg.setBreakpoint(bp('b2', 'go', { when: 'after' }));
      const first = dbg.step('continue');
      expect(first).toEqual({
        kind: 'paused',
        at: { tick: 1, reason: 'breakpoint', nodeId: 'go', when: 'before', breakpointId: 'b1' },
        hits: [{ kind: 'breakpoint', breakpointId: 'b1', nodeId: 'go', when: 'before' }],
        conditionErrors: [],
      });
      const second = dbg.step('continue');
      expect(second.kind === 'paused' && second.at).toEqual({
        tick: 1,
        reason: 'breakpoint',
        nodeId: 'go',
        when: 'after',
        status: 'SUCCESS',
        breakpointId: 'b2',
      });
      expect(second.hits).toEqual([
        { kind: 'breakpoint', breakpointId: 'b2', nodeId: 'go', when: 'after', status: 'SUCCESS' },
      ]);
      expect(where(dbg.step('continue'))).toBe('completed SUCCESS');
    });

    it('reports every hook that hits at one boundary; the first names the pause', () => {
      const { dbg } = tree();
      dbg.setBreakpoint(bp('b1', 'go'));
      dbg.setBreakpoint(bp('b2', 'go', { condition: '(= $x 1)' }));
      const o = dbg.step('continue');
      expect(o.kind === 'paused' && o.at.breakpointId).toBe('b1');
      expect(o.hits.map((h) => h.kind === 'breakpoint' && h.breakpointId)).toEqual(['b1', 'b2']);
    });

    it('a step that meets a breakpoint stops there with reason breakpoint', () => {
      const { dbg } = tree();
      dbg.setBreakpoint(bp('b1', 'y'));
      dbg.step('into');
      const o = dbg.step('over');
      expect(where(o)).toBe('before y');
      expect(o.kind === 'paused' && o.at.reason).toBe('breakpoint');
    });

    it('lists, replaces (same id) and removes hooks by node', () => {
      const { dbg } = tree();
      dbg.setBreakpoint(bp('b1', 'go'));
      dbg.setBreakpoint(bp('b2', 'y', { when: 'after', condition: '(> $x 0)' }));
      dbg.setBreakpoint(bp('b1', 'go', { once: true }));
      expect(dbg.breakpoints()).toEqual([
        bp('b2', 'y', { when: 'after', condition: '(> $x 0)' }),
        bp('b1', 'go', { once: true }),
      ]);
      expect(dbg.removeBreakpoints('go')).toEqual([bp('b1', 'go', { once: true })]);
      expect(dbg.removeBreakpoints('go')).toEqual([]);
      expect(dbg.breakpoints().map((b) => b.id)).toEqual(['b2']);
    });
  });

  describe('conditions', () => {
    it('fire only when true, seeing the tick own writes before the boundary', () => {
      const { dbg, bb } = tree();
      // The host store has x = 0; the node `x` sets it to 1 earlier in the same tick.
      dbg.setBreakpoint(bp('b1', 'go', { condition: '(= $x 1)' }));
      dbg.setBreakpoint(bp('b2', 'y', { condition: '(= $x 0)' }));
      expect(where(dbg.step('continue'))).toBe('before go');
      expect(bb.get('exec', 'x')).toBe(0);
      expect(where(dbg.step('continue'))).toBe('completed SUCCESS');
    });

    it('read the locals of the node scope (subtree arguments)', () => {
      const d = doc(n('subtree', { id: 'sub', args: ['inner'], kw: { k: v('k') } }), {
        name: 'inner',
        root: n('sequence', { id: 'body' }, n('success', { id: 'leaf' })),
      });
      const h = harness(d, { bb: { exec: { k: 1 } } });
      const dbg = h.tree.debug();
      dbg.setBreakpoint(bp('b', 'sub/leaf', { condition: '(= $k 2)' }));
      expect(where(dbg.step('continue'))).toBe('completed SUCCESS');
      h.bb.set('exec', 'k', 2);
      expect(where(dbg.step('continue'))).toBe('before sub/leaf');
    });

    it('a condition that throws counts as false and is reported, once per run', () => {
      const { dbg } = tree();
      dbg.setBreakpoint(bp('b1', 'go', { condition: '(< $missing 5)' }));
      const o = dbg.step('continue');
      expect(o.kind).toBe('completed');
      expect(o.conditionErrors).toEqual([
        { nodeId: 'go', breakpointId: 'b1', message: '(<) expects numbers or strings, got nil' },
      ]);
    });

    it('are rejected with the position of the problem inside the text', () => {
      const { dbg } = tree();
      const cases: [string, string, number, number][] = [
        ['(< $x', `unclosed '(' (expected ')' before the end)`, 1, 1],
        ['(and true (lenn $x))', `unknown function 'lenn' (did you mean 'len'?)`, 1, 11],
        ['(not 1 2)', `'not' expects exactly 1 argument, found 2`, 1, 1],
        [
          '(< x 1)',
          `unexpected symbol 'x' in an expression (write $x to read a key or "x" for a string)`,
          1,
          4,
        ],
        ['(and\n  (> $x 1)\n  "open)', `unterminated string (expected a closing '"')`, 3, 3],
        ['(= $x 1) 2', 'expected one expression, found more text after it', 1, 10],
        ['(get "a//b")', `key 'a//b' has an empty segment (leading, trailing or double /): no tree can address it`, 1, 6],
      ];
      for (const [condition, message, line, column] of cases) {
        const e = errorOf(() => dbg.setBreakpoint(bp('b', 'go', { condition })));
        expect({ code: e.code, message: e.message, line: e.line, column: e.column }).toEqual({
          code: 'BAD_CONDITION',
          message,
          line,
          column,
        });
      }
      expect(dbg.breakpoints()).toEqual([]);
    });
  });

  it('an unknown node is refused, with the nearest id', () => {
    const { dbg } = tree();
    const e = errorOf(() => dbg.setBreakpoint(bp('b', 'gp')));
    expect([e.code, e.message]).toEqual(['UNKNOWN_NODE', `unknown node 'gp' (did you mean 'go'?)`]);
  });

  describe('once and enabled', () => {
    it('once: removed at its first hit', () => {
      const { dbg } = tree();
      dbg.setBreakpoint(bp('b1', 'go', { once: true }));
      expect(where(dbg.step('continue'))).toBe('before go');
      expect(dbg.breakpoints()).toEqual([]);
      expect(where(dbg.step('continue'))).toBe('completed SUCCESS');
      expect(where(dbg.step('continue'))).toBe('completed SUCCESS');
    });

    it('enabled false: kept but inert, until enabled again', () => {
      const { dbg } = tree();
      dbg.setBreakpoint(bp('b1', 'go', { enabled: false }));
      expect(dbg.active).toBe(false);
      expect(where(dbg.step('continue'))).toBe('completed SUCCESS');
      expect(dbg.breakpoints()).toEqual([bp('b1', 'go', { enabled: false })]);
      dbg.setBreakpoint(bp('b1', 'go'));
      expect(where(dbg.step('continue'))).toBe('before go');
    });
  });

  describe('replace', () => {
    // The same tree with the replaced node swapped for a constant node of the same id, ticked
    // without a debugger, is the expected record.
    it.each(['SUCCESS', 'FAILURE', 'RUNNING'] as const)(
      'the node is not ticked and returns %s, as a constant node would',
      (status) => {
        const h = tree();
        h.dbg.setBreakpoint(bp('r', 'go', { mode: 'replace', status }));
        const o = h.dbg.step('continue');
        expect(o.hits).toEqual([
          { kind: 'breakpoint', breakpointId: 'r', nodeId: 'go', when: 'before', status },
        ]);
        expect(h.calls()).toBe(0);
        const oracle = tree(n(status.toLowerCase(), { id: 'go' }));
        expect(trace([completed(o)])).toEqual(trace([oracle.tree.tick()]));
        expect(h.bb.snapshot('exec')).toEqual(oracle.bb.snapshot('exec'));
      },
    );

    it('a running node made to finish is halted first: its children go IDLE, its work is cancelled', () => {
      const h = harness(
        n(
          'sequence',
          { id: 's' },
          n('wait', { id: 'w', kw: { ms: 100 } }),
          act('slow', undefined, 'a'),
        ),
      );
      let signal: AbortSignal | undefined;
      h.actions.register('slow', (_args, ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      });
      const dbg = h.tree.debug();
      h.tree.tick();
      h.clock.advance(100);
      h.tree.tick();
      expect(h.tree.statuses()).toEqual({ s: 'RUNNING', w: 'SUCCESS', a: 'RUNNING' });
      dbg.setBreakpoint(bp('r', 's', { mode: 'replace', status: 'FAILURE' }));
      const record = completed(dbg.step('continue'));
      expect(record.nodes).toEqual([
        { id: 'a', from: 'RUNNING', to: 'IDLE' },
        { id: 's', from: 'RUNNING', to: 'FAILURE' },
      ]);
      expect(record.status).toBe('FAILURE');
      expect(signal?.aborted).toBe(true);
    });

    it('an idle node made RUNNING starts its run: a wait counts from that tick', () => {
      const h = tree(n('wait', { id: 'go', kw: { ms: 100 } }));
      h.clock.set(50);
      h.dbg.setBreakpoint(bp('r', 'go', { mode: 'replace', status: 'RUNNING', once: true }));
      expect(completed(h.dbg.step('continue')).status).toBe('RUNNING');
      h.clock.set(149);
      expect(h.tree.tick().status).toBe('RUNNING');
      h.clock.set(150);
      expect(h.tree.tick().status).toBe('SUCCESS');
    });

    it('is decided when the node is reached: a hook set while paused before it applies', () => {
      const h = tree();
      h.dbg.setBreakpoint(bp('b', 'go'));
      expect(where(h.dbg.step('continue'))).toBe('before go');
      h.dbg.setBreakpoint(bp('r', 'go', { mode: 'replace', status: 'FAILURE' }));
      expect(where(h.dbg.step('continue'))).toBe('completed FAILURE');
      expect(h.calls()).toBe(0);
    });

    it('a replace decided before a pause holds when the tick goes on, even if removed since (once)', () => {
      const h = tree();
      h.dbg.setBreakpoint(bp('r', 'go', { mode: 'replace', status: 'FAILURE', once: true }));
      h.dbg.setBreakpoint(bp('b', 'go', { when: 'after' }));
      const o = h.dbg.step('continue');
      expect(where(o)).toBe('after go FAILURE');
      expect(h.dbg.breakpoints().map((b) => b.id)).toEqual(['b']);
      // The re-run reaches `after go` with the replacement it made before, not by ticking go.
      expect(where(h.dbg.step('continue'))).toBe('completed FAILURE');
      expect(h.calls()).toBe(0);
    });

    it('refuses a replace without a status or after the node', () => {
      const { dbg } = tree();
      expect(errorOf(() => dbg.setBreakpoint(bp('r', 'go', { mode: 'replace' }))).code).toBe(
        'BAD_BREAKPOINT',
      );
      expect(
        errorOf(() =>
          dbg.setBreakpoint(bp('r', 'go', { mode: 'replace', status: 'SUCCESS', when: 'after' })),
        ).code,
      ).toBe('BAD_BREAKPOINT');
    });
  });

  it('with nothing set, a step is a plain tick (and a second tree.tick() works)', () => {
    const { tree: t, dbg } = tree();
    expect(dbg.active).toBe(false);
    expect(completed(dbg.step('continue')).tick).toBe(1);
    expect(t.tick().tick).toBe(2);
  });
});
