import { buildTree, MemoryBlackboard, type ExternalEvent } from '../src';
import { act, call, cond, deferred, doc, flush, harness, n, ok, run, set, v } from './helpers';

const ev = (name: string, payload: unknown = null, at = 0): ExternalEvent => ({ name, payload, at });

describe('external events', () => {
  describe('(events)', () => {
    it('lists the batch of the tick, oldest first, and is empty in a tick without one', () => {
      const h = harness(set('seen', call('events')));
      const batch = [ev('a', 1, 10), ev('b', { x: [1, 2] }, 11)];
      h.tree.tick({ events: batch });
      expect(h.bb.get('exec', 'seen')).toEqual([
        { name: 'a', payload: 1, at: 10 },
        { name: 'b', payload: { x: [1, 2] }, at: 11 },
      ]);
      h.tree.tick();
      expect(h.bb.get('exec', 'seen')).toEqual([]);
      h.tree.tick({ events: [] });
      expect(h.bb.get('exec', 'seen')).toEqual([]);
    });

    it('gives each tick only its own batch (a batch is not carried over)', () => {
      const h = harness(set('n', call('len', call('events'))));
      const counts: unknown[] = [];
      for (const batch of [[ev('a'), ev('b'), ev('c')], [], [ev('d')]]) {
        h.tree.tick({ events: batch });
        counts.push(h.bb.get('exec', 'n'));
      }
      expect(counts).toEqual([3, 0, 1]);
    });

    it('reads as the whole event through nth and get paths', () => {
      const h = harness(
        n('sequence', set('first', call('nth', call('events'), 0)), set('name', v('first/name'))),
      );
      h.tree.tick({ events: [ev('door', 'open', 5)] });
      expect(h.bb.get('exec', 'first')).toEqual({ name: 'door', payload: 'open', at: 5 });
      expect(h.bb.get('exec', 'name')).toBe('door');
    });
  });

  describe('(event "name")', () => {
    it('is the payload of the last event of that name in the batch, else nil', () => {
      const h = harness(
        n('sequence', set('door', call('event', 'door')), set('bell', call('event', 'bell'))),
      );
      h.tree.tick({ events: [ev('door', 'open'), ev('bell', 1), ev('door', 'closed')] });
      expect(h.bb.get('exec', 'door')).toBe('closed');
      expect(h.bb.get('exec', 'bell')).toBe(1);
      h.tree.tick({ events: [ev('bell', 2)] });
      expect(h.bb.get('exec', 'door')).toBeNull();
      expect(h.bb.get('exec', 'bell')).toBe(2);
    });

    it('is nil for an event sent without a payload, so a condition needs (events) to see it', () => {
      const h = harness(
        n(
          'sequence',
          set('p', call('event', 'go')),
          set(
            'got',
            call('>', call('len', call('events')), 0),
          ),
        ),
      );
      h.tree.tick({ events: [ev('go')] });
      expect(h.bb.get('exec', 'p')).toBeNull();
      expect(h.bb.get('exec', 'got')).toBe(true);
    });

    it('takes a name computed at run time, and reports a name that is not a string', () => {
      const h = harness(cond(call('=', call('event', v('which')), 7), 'c'), {
        bb: { exec: { which: 'x' } },
      });
      expect(h.tree.tick({ events: [ev('x', 7)] }).status).toBe('SUCCESS');
      h.bb.set('exec', 'which', 3);
      const r = h.tree.tick({ events: [ev('x', 7)] });
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        { nodeId: 'c', code: 'EXPR_TYPE', message: expect.stringContaining('(event)') },
      ]);
    });
  });

  describe('(on-event "name" C)', () => {
    const tree = () =>
      harness(
        n(
          'selector',
          n('on-event', { id: 'on', args: ['go'] }, act('work', {}, 'work')),
          n('success', { id: 'idle' }),
        ),
      );

    it('fails without ticking its child in a tick that did not receive the event', () => {
      const h = tree();
      let calls = 0;
      h.actions.register('work', () => {
        calls++;
        return 'SUCCESS';
      });
      const r = h.tree.tick({ events: [ev('other')] });
      expect(h.status('on')).toBe('FAILURE');
      expect(h.status('work')).toBe('IDLE');
      expect(r.status).toBe('SUCCESS');
      expect(calls).toBe(0);
      h.tree.tick();
      expect(calls).toBe(0);
    });

    it('starts its child in a tick that received the event and returns its status', () => {
      const h = tree();
      h.actions.register('work', () => 'SUCCESS');
      h.tree.tick({ events: [ev('other'), ev('go', 1)] });
      expect(h.status('on')).toBe('SUCCESS');
      expect(h.status('work')).toBe('SUCCESS');
      h.tree.tick();
      expect(h.status('on')).toBe('FAILURE');
    });

    it('keeps ticking a RUNNING child in later ticks without the event, until it finishes', async () => {
      const h = tree();
      const d = deferred<'SUCCESS'>();
      let calls = 0;
      h.actions.register('work', () => {
        calls++;
        return d.promise;
      });
      h.tree.tick({ events: [ev('go')] });
      expect(h.status('on')).toBe('RUNNING');
      h.tree.tick();
      h.tree.tick({ events: [ev('other')] });
      expect(h.status('on')).toBe('RUNNING');
      d.resolve('SUCCESS');
      await flush();
      h.tree.tick();
      expect(h.status('on')).toBe('SUCCESS');
      expect(calls).toBe(1);
      h.tree.tick();
      expect(h.status('on')).toBe('FAILURE');
    });

    it('goes on RUNNING after a checkpoint is restored into a fresh tree', () => {
      const json = doc(n('on-event', { id: 'on', args: ['go'] }, run()));
      const a = buildTree(json, { blackboard: new MemoryBlackboard() });
      a.tick({ events: [ev('go')] });
      const b = buildTree(json, { blackboard: new MemoryBlackboard() });
      b.restore(a.checkpoint());
      expect(b.tick().status).toBe('RUNNING');
      expect(b.statusOf('on')).toBe('RUNNING');
      const fresh = buildTree(json, { blackboard: new MemoryBlackboard() });
      expect(fresh.tick().status).toBe('FAILURE');
    });

    it('is halted with its parent like any decorator', () => {
      const h = harness(
        n(
          'reactive-sequence',
          cond(v('ok')),
          n('on-event', { id: 'on', args: ['go'] }, run()),
        ),
        { bb: { exec: { ok: true } } },
      );
      h.tree.tick({ events: [ev('go')] });
      expect(h.status('on')).toBe('RUNNING');
      h.bb.set('exec', 'ok', false);
      h.tree.tick();
      expect(h.status('on')).toBe('IDLE');
      h.bb.set('exec', 'ok', true);
      expect(h.tree.tick().status).toBe('FAILURE');
    });
  });

  describe('records and the debugger', () => {
    it('records the batch in the tick record, and nothing when there was none', () => {
      const h = harness(ok());
      expect(h.tree.tick({ events: [ev('a', 1, 3)] }).events).toEqual([
        { name: 'a', payload: 1, at: 3 },
      ]);
      expect(h.tree.tick()).not.toHaveProperty('events');
    });

    it('a paused tick re-runs with its own batch, also when restored in another tree', () => {
      const json = doc(
        n(
          'sequence',
          set('before', call('event', 'go'), 'a'),
          n('on-event', { id: 'on', args: ['go'] }, set('after', call('len', call('events')), 'b')),
        ),
      );
      const bb = new MemoryBlackboard();
      const tree = buildTree(json, { blackboard: bb });
      const dbg = tree.debug();
      dbg.setBreakpoint({ id: 'bp', nodeId: 'b', when: 'before', mode: 'break', once: false, enabled: true });
      const paused = dbg.step('continue', { events: [ev('go', 'x', 1), ev('z', null, 2)] });
      expect(paused.kind).toBe('paused');
      expect(dbg.pausedEvents.map((e) => e.name)).toEqual(['go', 'z']);
      const state = dbg.saveState();
      expect(state.paused?.events).toEqual([ev('go', 'x', 1), ev('z', null, 2)]);

      // Another process: the last committed checkpoint (before the tick) and the debugger state.
      const other = buildTree(json, { blackboard: new MemoryBlackboard() });
      other.debug().restoreState(JSON.parse(JSON.stringify(state)));
      // A batch given to the step is ignored: the paused tick has its own.
      const done = other.debug().step('continue', { events: [ev('late')] });
      expect(done.kind).toBe('completed');
      if (done.kind !== 'completed') return;
      expect(done.record.events).toEqual([ev('go', 'x', 1), ev('z', null, 2)]);
      expect(done.record.writes.map((w) => [w.key, w.new])).toEqual([
        ['before', 'x'],
        ['after', 2],
      ]);
      expect(other.debug().pausedEvents).toEqual([]);
    });

    it('gives the batch to an undebugged step and to breakpoint conditions', () => {
      const h = harness(n('sequence', set('a', call('event', 'e'), 'a'), ok()));
      const dbg = h.tree.debug();
      expect(dbg.step('continue', { events: [ev('e', 5)] }).kind).toBe('completed');
      expect(h.bb.get('exec', 'a')).toBe(5);
      dbg.setBreakpoint({
        id: 'bp',
        nodeId: 'a',
        when: 'before',
        mode: 'break',
        condition: '(= (event "e") 6)',
        once: false,
        enabled: true,
      });
      expect(dbg.step('continue', { events: [ev('e', 5)] }).kind).toBe('completed');
      expect(dbg.step('continue', { events: [ev('e', 6)] }).kind).toBe('paused');
    });
  });
});
