import { type ActionReply, type ActionRequest, Subjects } from '@canopy/contracts';
import { createLogger, TracedNats } from '@canopy/telemetry';
import { type NatsHandle, startNats } from '@canopy/testing';
import { connect } from '@nats-io/transport-node';
import { ActionWorker } from '../src';

function invocation(
  action: string,
  invocationId: string,
  args: Record<string, unknown> = {},
): ActionRequest {
  return { invocationId, execId: 'e1', nodeId: '0.1', action, args, deadline: Date.now() + 10_000 };
}

/** A promise and the function that resolves it, to await an event from inside a handler. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe(ActionWorker.name, () => {
  let nats: NatsHandle;
  let caller: TracedNats;
  let sut: ActionWorker;

  beforeAll(async () => {
    nats = await startNats();
    caller = new TracedNats(await connect({ servers: nats.url }), undefined, { logger });
  });

  const logger = createLogger('action-worker-spec', { level: 'silent' });

  beforeEach(() => {
    sut = new ActionWorker({ natsUrl: nats.url, logger });
  });

  afterEach(() => sut.close());

  afterAll(async () => {
    await caller.drain();
    await nats.dispose();
  });

  const request = (action: string, req: ActionRequest): Promise<ActionReply> =>
    caller.request<ActionReply>(Subjects.action(action), req, { timeoutMs: 5000 });

  it('serves an action requested over NATS with its args and context', async () => {
    const seen: unknown[] = [];
    await sut.register('move-to', (args, ctx) => {
      seen.push(args, ctx.execId, ctx.nodeId, ctx.invocationId);
      return 'SUCCESS';
    });
    await sut.register('is-docked', () => false);

    await expect(
      request('move-to', invocation('move-to', 'i1', { target: 'hall' })),
    ).resolves.toEqual({
      status: 'SUCCESS',
    });
    expect(seen).toEqual([{ target: 'hall' }, 'e1', '0.1', 'i1']);
    await expect(request('is-docked', invocation('is-docked', 'i2'))).resolves.toEqual({
      status: 'FAILURE',
    });
  });

  it('aborts the handler signal when a cancel for its invocation arrives', async () => {
    const started = signal();
    let aborted: unknown;
    await sut.register('charge', (_args, { signal: abort }) => {
      started.resolve();
      return new Promise<'SUCCESS'>((_resolve, reject) => {
        abort.addEventListener('abort', () => {
          aborted = abort.reason;
          reject(abort.reason);
        });
      });
    });

    const reply = request('charge', invocation('charge', 'i-cancel'));
    await started.promise;
    caller.publish(Subjects.actionCancel('charge'), { invocationId: 'other' });
    caller.publish(Subjects.actionCancel('charge'), { invocationId: 'i-cancel' });

    await expect(reply).resolves.toEqual({ status: 'FAILURE', error: 'cancelled' });
    expect(aborted).toBeInstanceOf(Error);
  });

  it('starts an invocation already aborted when its cancel overtook it', async () => {
    let abortedAtStart: boolean | undefined;
    await sut.register('charge', (_args, { signal: abort }) => {
      abortedAtStart = abort.aborted;
      return abort.aborted ? 'FAILURE' : 'SUCCESS';
    });
    // One connection delivers in publish order, so the cancel reaches the worker first.
    caller.publish(Subjects.actionCancel('charge'), { invocationId: 'i-early' });
    await expect(request('charge', invocation('charge', 'i-early'))).resolves.toEqual({
      status: 'FAILURE',
    });
    expect(abortedAtStart).toBe(true);
  });

  it('replies FAILURE with the message when the handler throws', async () => {
    await sut.register('explode', () => {
      throw new Error('motor jammed');
    });
    await expect(request('explode', invocation('explode', 'i3'))).resolves.toEqual({
      status: 'FAILURE',
      error: 'motor jammed',
    });
  });

  it('replies FAILURE to a malformed invocation and keeps serving', async () => {
    await sut.register('move-to', () => true);
    const bad = await caller.request<ActionReply>(
      Subjects.action('move-to'),
      { nope: 1 },
      { timeoutMs: 5000 },
    );
    expect(bad.status).toBe('FAILURE');
    expect(bad.error).toContain('invocationId');
    await expect(request('move-to', invocation('move-to', 'i4'))).resolves.toEqual({
      status: 'SUCCESS',
    });
  });

  it('lets a running handler finish and reply when closed', async () => {
    const started = signal();
    const release = signal();
    await sut.register('slow', async () => {
      started.resolve();
      await release.promise;
      return true;
    });
    const reply = request('slow', invocation('slow', 'i5'));
    await started.promise;
    const closed = sut.close();
    release.resolve();
    await expect(reply).resolves.toEqual({ status: 'SUCCESS' });
    await closed;
  });

  describe('runs an invocation id at most once', () => {
    /** Once a request to `ping` is answered, the worker has had every message sent before it. */
    async function delivered(): Promise<void> {
      await expect(request('ping', invocation('ping', `ping-${Date.now()}`))).resolves.toEqual({
        status: 'SUCCESS',
      });
    }

    beforeEach(() => sut.register('ping', () => true));

    it('answers a repeat of a running invocation with its reply; the handler runs once', async () => {
      const started = signal();
      const release = signal();
      let calls = 0;
      await sut.register('move-to', async () => {
        calls++;
        started.resolve();
        await release.promise;
        return 'SUCCESS';
      });
      const first = request('move-to', invocation('move-to', 'i-twice'));
      await started.promise;
      const repeat = request('move-to', invocation('move-to', 'i-twice'));
      // One connection delivers in publish order: the repeat reached the worker first.
      await delivered();
      release.resolve();
      await expect(Promise.all([first, repeat])).resolves.toEqual([
        { status: 'SUCCESS' },
        { status: 'SUCCESS' },
      ]);
      expect(calls).toBe(1);
    });

    it('answers a repeat of a finished invocation with the reply it had; another id runs', async () => {
      let calls = 0;
      await sut.register('scan', () => {
        throw new Error(`scan ${++calls} failed`);
      });
      const first = await request('scan', invocation('scan', 'i-scan'));
      expect(first).toEqual({ status: 'FAILURE', error: 'scan 1 failed' });
      await expect(request('scan', invocation('scan', 'i-scan'))).resolves.toEqual(first);
      await expect(request('scan', invocation('scan', 'i-other'))).resolves.toEqual({
        status: 'FAILURE',
        error: 'scan 2 failed',
      });
      expect(calls).toBe(2);
    });

    it('cancels the running invocation for every request waiting on it', async () => {
      const started = signal();
      let calls = 0;
      await sut.register('charge', (_args, { signal: abort }) => {
        calls++;
        started.resolve();
        return new Promise<'SUCCESS'>((_resolve, reject) =>
          abort.addEventListener('abort', () => reject(abort.reason)),
        );
      });
      const first = request('charge', invocation('charge', 'i-cancel-both'));
      await started.promise;
      const repeat = request('charge', invocation('charge', 'i-cancel-both'));
      await delivered();
      caller.publish(Subjects.actionCancel('charge'), { invocationId: 'i-cancel-both' });
      await expect(Promise.all([first, repeat])).resolves.toEqual([
        { status: 'FAILURE', error: 'cancelled' },
        { status: 'FAILURE', error: 'cancelled' },
      ]);
      expect(calls).toBe(1);
    });
  });

  it('works on a connection it was given and leaves it open', async () => {
    const nc = await connect({ servers: nats.url });
    const worker = new ActionWorker({ connection: nc, logger });
    await worker.register('ping', () => undefined);
    await expect(request('ping', invocation('ping', 'i6'))).resolves.toEqual({ status: 'SUCCESS' });
    await worker.close();
    expect(nc.isClosed()).toBe(false);
    await nc.close();
  });
});
