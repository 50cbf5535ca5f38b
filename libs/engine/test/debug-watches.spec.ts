import { MemoryBlackboard, type DebugOutcome, type NodeJson } from '../src';
import { errorOf, where } from './debug-helpers';
import { call, harness, n, set, v } from './helpers';

function watched(root: NodeJson, bb: MemoryBlackboard | Record<string, unknown> = {}) {
  const h = harness(root, { bb: bb instanceof MemoryBlackboard ? bb : { exec: bb } });
  return { ...h, dbg: h.tree.debug() };
}

/** Runs ticks with `continue` until `count` pauses were seen; returns the outcomes that paused. */
function pauses(dbg: ReturnType<typeof watched>['dbg'], ticks: number): DebugOutcome[] {
  const out: DebugOutcome[] = [];
  for (let t = 0; t < ticks; t++) {
    for (;;) {
      const o = dbg.step('continue');
      if (o.kind === 'completed') break;
      out.push(o);
    }
  }
  return out;
}

describe('Debugger watches', () => {
  it('stop right after the node whose write changed the key, with old and new values', () => {
    const h = watched(
      n(
        'sequence',
        { id: 's' },
        set('battery', call('-', v('battery'), 10), 'drain'),
        n('success', { id: 'next' }),
      ),
      { battery: 50 },
    );
    h.dbg.setWatch({ id: 'w', key: 'battery' });
    const o = h.dbg.step('continue');
    expect(o).toEqual({
      kind: 'paused',
      at: {
        tick: 1,
        reason: 'watch',
        nodeId: 'drain',
        when: 'after',
        status: 'SUCCESS',
        watchId: 'w',
      },
      hits: [
        {
          kind: 'watch',
          watchId: 'w',
          key: 'battery',
          oldValue: 50,
          value: 40,
          nodeId: 'drain',
          tick: 1,
        },
      ],
      conditionErrors: [],
    });
    expect(where(h.dbg.step('continue'))).toBe('completed SUCCESS');
    expect(h.bb.get('exec', 'battery')).toBe(40);
  });

  it('a write of the same value is not a change', () => {
    const h = watched(set('mode', 'idle', 'm'), { mode: 'idle' });
    h.dbg.setWatch({ id: 'w', key: 'mode' });
    expect(pauses(h.dbg, 2)).toEqual([]);
  });

  it('nested paths: only a change below the path counts', () => {
    const h = watched(
      n('sequence', { id: 's' }, set('robot/pose/y', 7, 'y'), set('robot/pose/x', 3, 'x')),
      { robot: { pose: { x: 1, y: 1 } } },
    );
    h.dbg.setWatch({ id: 'w', key: 'robot/pose/x' });
    const [o, ...rest] = pauses(h.dbg, 1);
    expect(rest).toEqual([]);
    expect(o.hits).toEqual([
      {
        kind: 'watch',
        watchId: 'w',
        key: 'robot/pose/x',
        oldValue: 1,
        value: 3,
        nodeId: 'x',
        tick: 1,
      },
    ]);
  });

  it('scope prefixes: team:free sees the team scope only, global: nested paths too', () => {
    const bb = new MemoryBlackboard({ team: { free: 1 }, global: { robot: { pose: { x: 0 } } } });
    const h = watched(
      n(
        'sequence',
        { id: 's' },
        set('exec:free', 9, 'mine'),
        set('team:free', 2, 'theirs'),
        set('global:robot/pose/x', 5, 'g'),
      ),
      bb,
    );
    h.dbg.setWatch({ id: 't', key: 'team:free' });
    h.dbg.setWatch({ id: 'g', key: 'global:robot/pose/x' });
    expect(pauses(h.dbg, 1).map((o) => o.hits)).toEqual([
      [
        {
          kind: 'watch',
          watchId: 't',
          key: 'team:free',
          oldValue: 1,
          value: 2,
          nodeId: 'theirs',
          tick: 1,
        },
      ],
      [
        {
          kind: 'watch',
          watchId: 'g',
          key: 'global:robot/pose/x',
          oldValue: 0,
          value: 5,
          nodeId: 'g',
          tick: 1,
        },
      ],
    ]);
  });

  it('the writing node is the one that stops, not its ancestors; a new key has no old value', () => {
    const h = watched(
      n('sequence', { id: 's' }, n('force-success', { id: 'f' }, set('fresh', true, 'w'))),
    );
    h.dbg.setWatch({ id: 'w', key: 'fresh' });
    const found = pauses(h.dbg, 1);
    expect(found.map(where)).toEqual(['after w SUCCESS']);
    expect(found[0].hits).toEqual([
      { kind: 'watch', watchId: 'w', key: 'fresh', value: true, nodeId: 'w', tick: 1 },
    ]);
  });

  it('a removal has no new value', () => {
    const h = watched(n('unset', { id: 'u', args: ['gone'] }), { gone: 3 });
    h.dbg.setWatch({ id: 'w', key: 'gone' });
    expect(pauses(h.dbg, 1)[0].hits).toEqual([
      { kind: 'watch', watchId: 'w', key: 'gone', oldValue: 3, nodeId: 'u', tick: 1 },
    ]);
  });

  it('a loop variable bound by for-each is the for-each node own write', () => {
    const h = watched(
      n(
        'for-each',
        { id: 'fe', kw: { in: { list: ['a', 'b'] }, as: 'item' } },
        n('success', { id: 'body' }),
      ),
    );
    h.dbg.setWatch({ id: 'w', key: 'item' });
    expect(
      pauses(h.dbg, 2).map((o) => [where(o), ...o.hits.map((x) => x.kind === 'watch' && x.value)]),
    ).toEqual([
      ['after fe RUNNING', 'a'],
      ['after fe SUCCESS', 'b'],
    ]);
  });

  it('with a condition, stop only when a write makes it true where it was false (edge)', () => {
    const h = watched(set('battery', v('next'), 'w'), { battery: 30 });
    h.dbg.setWatch({ id: 'low', key: 'battery', condition: '(< $battery 20)' });
    const seen: unknown[] = [];
    for (const next of [25, 15, 10, 50, 5]) {
      h.bb.set('exec', 'next', next);
      for (const o of pauses(h.dbg, 1))
        for (const hit of o.hits) if (hit.kind === 'watch') seen.push([hit.oldValue, hit.value]);
    }
    expect(seen).toEqual([
      [25, 15],
      [50, 5],
    ]);
  });

  it('a condition that turned true by another key does not count as this write making it true', () => {
    const h = watched(n('sequence', { id: 's' }, set('limit', 100, 'l'), set('battery', 40, 'b')), {
      battery: 50,
      limit: 10,
    });
    h.dbg.setWatch({ id: 'low', key: 'battery', condition: '(< $battery $limit)' });
    expect(pauses(h.dbg, 1)).toEqual([]);
  });

  it('a condition that throws counts as false and is reported', () => {
    const h = watched(set('n', 1, 'w'));
    h.dbg.setWatch({ id: 'bad', key: 'n', condition: '(< $n $missing)' });
    const o = h.dbg.step('continue');
    expect(o.kind).toBe('completed');
    expect(o.conditionErrors).toEqual([
      { nodeId: 'w', watchId: 'bad', message: '(<) expects numbers or strings, got nil' },
    ]);
  });

  it('lists and removes watches; a malformed key or condition is refused with its position', () => {
    const h = watched(set('n', 1, 'w'));
    h.dbg.setWatch({ id: 'a', key: 'n' });
    h.dbg.setWatch({ id: 'b', key: 'team:m', condition: '(> $team:m 1)' });
    expect(h.dbg.watches()).toEqual([
      { id: 'a', key: 'n' },
      { id: 'b', key: 'team:m', condition: '(> $team:m 1)' },
    ]);
    expect(h.dbg.removeWatch('a')).toEqual({ id: 'a', key: 'n' });
    expect(h.dbg.removeWatch('a')).toBeUndefined();
    expect(errorOf(() => h.dbg.setWatch({ id: 'c', key: 'a//b' })).code).toBe('BAD_CONDITION');
    expect(errorOf(() => h.dbg.setWatch({ id: 'c', key: 'n', condition: '(> $n' }))).toMatchObject({
      code: 'BAD_CONDITION',
      message: `unclosed '(' (expected ')' before the end)`,
      line: 1,
      column: 1,
    });
    expect(h.dbg.watches().map((w) => w.id)).toEqual(['b']);
  });
});
