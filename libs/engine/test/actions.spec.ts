import { ActionRegistry, BehaviorTree, type ActionContext } from '../src';
import { act, deferred, flush, harness, n, statuses, v } from './helpers';

describe(BehaviorTree.name, () => {
  describe('action', () => {
    it('calls a sync action with arguments evaluated at start and maps its outcome', () => {
      const h = harness(act('move', { to: v('target'), speed: 2 }, 'a'), {
        bb: { exec: { target: 'door' } },
        execId: 'e1',
      });
      const seen: [unknown, Partial<ActionContext>][] = [];
      h.actions.register('move', (args, ctx) => {
        seen.push([
          args,
          {
            execId: ctx.execId,
            nodeId: ctx.nodeId,
            tick: ctx.tick,
            invocationId: ctx.invocationId,
          },
        ]);
        return seen.length < 3 ? 'RUNNING' : true;
      });
      h.clock.set(5);
      expect(statuses(h.ticks(3))).toEqual(['RUNNING', 'RUNNING', 'SUCCESS']);
      expect(seen).toEqual([
        [
          { to: 'door', speed: 2 },
          { execId: 'e1', nodeId: 'a', tick: 1, invocationId: 'e1:a:1' },
        ],
        [
          { to: 'door', speed: 2 },
          { execId: 'e1', nodeId: 'a', tick: 2, invocationId: 'e1:a:1' },
        ],
        [
          { to: 'door', speed: 2 },
          { execId: 'e1', nodeId: 'a', tick: 3, invocationId: 'e1:a:1' },
        ],
      ]);
    });

    it.each<[unknown, string]>([
      [undefined, 'SUCCESS'],
      [true, 'SUCCESS'],
      ['SUCCESS', 'SUCCESS'],
      [false, 'FAILURE'],
      ['FAILURE', 'FAILURE'],
    ])('maps the outcome %j to %s', (out, status) => {
      const h = harness(act('x'));
      h.actions.register('x', () => out as boolean);
      expect(h.tree.tick().status).toBe(status);
    });

    it('fails with UNKNOWN_ACTION for a name nobody resolves', () => {
      const r = harness(act('nope', {}, 'a')).tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        { nodeId: 'a', code: 'UNKNOWN_ACTION', message: "unknown action 'nope'" },
      ]);
    });

    it('resolves through a fallback resolver', () => {
      const remote = new ActionRegistry().register('far', () => 'SUCCESS');
      const h = harness(act('far'), { actions: new ActionRegistry(remote) });
      expect(h.tree.tick().status).toBe('SUCCESS');
      const asked: string[] = [];
      const byFunction = new ActionRegistry((name) => {
        asked.push(name);
        return () => 'FAILURE';
      });
      expect(harness(act('anything'), { actions: byFunction }).tree.tick().status).toBe('FAILURE');
      expect(asked).toEqual(['anything']);
    });

    // An action node keeps its name's registry cell: registering, replacing, and a fallback
    // answering only until the name is registered must all show on the next tick.
    it('calls what is registered under the name at each tick, else the fallback', () => {
      const h = harness(act('late', {}, 'a'), {
        actions: new ActionRegistry((name) => (name === 'late' ? () => 'RUNNING' : undefined)),
      });
      expect(h.tree.tick().status).toBe('RUNNING');
      h.actions.register('late', () => 'FAILURE');
      expect(h.tree.tick().status).toBe('FAILURE');
      h.actions.register('late', () => 'SUCCESS');
      expect(h.tree.tick().status).toBe('SUCCESS');
      expect(h.actions.resolve('late')?.({}, {} as ActionContext)).toBe('SUCCESS');
    });

    it('fails with ACTION_FAILED when the action throws or answers nonsense', () => {
      const h = harness(n('sequence', n('invert', act('boom', {}, 'a')), act('odd', {}, 'b')));
      h.actions.register('boom', () => {
        throw new Error('kaput');
      });
      h.actions.register('odd', () => 42 as unknown as boolean);
      expect(h.tree.tick().errors).toEqual([
        { nodeId: 'a', code: 'ACTION_FAILED', message: "action 'boom' threw: kaput" },
        {
          nodeId: 'b',
          code: 'ACTION_FAILED',
          message: "action 'odd' returned an invalid outcome: 42",
        },
      ]);
    });

    describe('async', () => {
      it('is RUNNING while the promise is pending and applies the result on the next tick', async () => {
        const d = deferred<boolean>();
        let wakes = 0;
        const h = harness(act('slow', {}, 'a'), { onWake: () => wakes++ });
        let calls = 0;
        h.actions.register('slow', () => {
          calls++;
          return d.promise;
        });
        expect(statuses(h.ticks(2))).toEqual(['RUNNING', 'RUNNING']);
        d.resolve(false);
        await flush();
        expect(wakes).toBe(1);
        // Settled between ticks: nothing changed until the tree is ticked.
        expect(h.tree.status).toBe('RUNNING');
        expect(h.tree.tick().status).toBe('FAILURE');
        expect(calls).toBe(1);
      });

      it('records a rejection as ACTION_FAILED', async () => {
        const d = deferred<boolean>();
        const h = harness(act('slow', {}, 'a'));
        h.actions.register('slow', () => d.promise);
        h.tree.tick();
        d.reject(new Error('network down'));
        await flush();
        const r = h.tree.tick();
        expect(r.status).toBe('FAILURE');
        expect(r.errors).toEqual([
          { nodeId: 'a', code: 'ACTION_FAILED', message: "action 'slow' failed: network down" },
        ]);
      });

      it('calls again when the promise resolves to RUNNING', async () => {
        const h = harness(act('poll'));
        let calls = 0;
        h.actions.register('poll', async () => (++calls < 2 ? 'RUNNING' : 'SUCCESS'));
        h.tree.tick();
        await flush();
        expect(h.tree.tick().status).toBe('RUNNING');
        expect(calls).toBe(2);
        await flush();
        expect(h.tree.tick().status).toBe('SUCCESS');
      });

      it('aborts the signal on halt and ignores the late result', async () => {
        const d = deferred<boolean>();
        let signal: AbortSignal | undefined;
        const h = harness(n('guard', { args: [v('go')] }, act('slow', {}, 'a')), {
          bb: { exec: { go: true } },
        });
        h.actions.register('slow', (_args, ctx) => {
          signal = ctx.signal;
          return d.promise;
        });
        h.tree.tick();
        expect(signal?.aborted).toBe(false);
        h.bb.set('exec', 'go', false);
        expect(h.tree.tick().nodes).toContainEqual({ id: 'a', from: 'RUNNING', to: 'IDLE' });
        expect(signal?.aborted).toBe(true);
        d.resolve(true);
        await flush();
        h.bb.set('exec', 'go', true);
        // A new invocation, not the stale result.
        expect(h.tree.tick().status).toBe('RUNNING');
      });

      it('aborts a signal first read after the halt', () => {
        let ctx: ActionContext | undefined;
        const h = harness(act('slow'));
        h.actions.register('slow', (_a, c) => {
          ctx = c;
          return new Promise(() => undefined);
        });
        h.tree.tick();
        h.tree.halt();
        expect(ctx?.signal.aborted).toBe(true);
      });

      it('halts through BehaviorTree.halt() and returns the changes', async () => {
        const h = harness(n('sequence', act('slow', {}, 'a')));
        h.actions.register('slow', () => new Promise(() => undefined));
        h.tree.tick();
        expect(h.tree.halt()).toEqual({
          nodes: [
            { id: 'a', from: 'RUNNING', to: 'IDLE' },
            { id: '0', from: 'RUNNING', to: 'IDLE' },
          ],
          writes: [],
          errors: [],
        });
        expect(h.tree.statuses()).toEqual({ '0': 'IDLE', a: 'IDLE' });
      });
    });
  });
});
