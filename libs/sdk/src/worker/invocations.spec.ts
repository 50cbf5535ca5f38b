import type { ActionReply } from '@canopy/contracts';
import { Invocations } from './invocations';

/** A call that records its signals and replies when told to. */
function pendingCall() {
  const signals: AbortSignal[] = [];
  const replies: ((reply: ActionReply) => void)[] = [];
  const call = (signal: AbortSignal) => {
    signals.push(signal);
    return new Promise<ActionReply>((resolve) => replies.push(resolve));
  };
  return { call, signals, reply: (reply: ActionReply, n = 0) => replies[n](reply) };
}

const FAR = Date.now() + 3_600_000;

describe(Invocations.name, () => {
  it('runs an id once however often it is asked while it runs; every asker gets its reply', async () => {
    const sut = new Invocations();
    const { call, signals, reply } = pendingCall();
    const first = sut.serve('x', FAR, call);
    const second = sut.serve('x', FAR, call);
    expect(signals).toHaveLength(1);
    reply({ status: 'SUCCESS' });
    await expect(Promise.all([first, second])).resolves.toEqual([
      { status: 'SUCCESS' },
      { status: 'SUCCESS' },
    ]);
  });

  it('answers a finished id with the reply it had, and runs another id', async () => {
    const sut = new Invocations();
    let calls = 0;
    const call = async (): Promise<ActionReply> => ({
      status: 'FAILURE',
      error: `call ${++calls}`,
    });
    await expect(sut.serve('x', FAR, call)).resolves.toEqual({
      status: 'FAILURE',
      error: 'call 1',
    });
    await expect(sut.serve('x', FAR, call)).resolves.toEqual({
      status: 'FAILURE',
      error: 'call 1',
    });
    await expect(sut.serve('y', FAR, call)).resolves.toEqual({
      status: 'FAILURE',
      error: 'call 2',
    });
  });

  it('forgets the least recently used finished ids beyond its bound', async () => {
    const sut = new Invocations(2);
    const ran: string[] = [];
    const serve = (id: string) =>
      sut.serve(id, FAR, async () => {
        ran.push(id);
        return { status: 'SUCCESS' };
      });
    await serve('a');
    await serve('b');
    await serve('a');
    await serve('c');
    await serve('a');
    await serve('b');
    expect(ran).toEqual(['a', 'b', 'c', 'b']);
  });

  it('finishes an id whose call rejects, with a FAILURE reply', async () => {
    const sut = new Invocations();
    const call = () => Promise.reject(new Error('broken'));
    await expect(sut.serve('x', FAR, call)).resolves.toEqual({
      status: 'FAILURE',
      error: 'broken',
    });
    await expect(
      sut.serve('x', FAR, () => Promise.resolve({ status: 'SUCCESS' })),
    ).resolves.toEqual({ status: 'FAILURE', error: 'broken' });
  });

  describe('cancels', () => {
    it('abort the running call', () => {
      const sut = new Invocations();
      const { call, signals } = pendingCall();
      void sut.serve('x', FAR, call);
      sut.cancel('other');
      expect(signals[0].aborted).toBe(false);
      sut.cancel('x');
      expect(signals[0].aborted).toBe(true);
      expect((signals[0].reason as Error).message).toBe('cancelled');
    });

    it('that overtook their invocation start it aborted', () => {
      const sut = new Invocations();
      const { call, signals } = pendingCall();
      sut.cancel('x');
      void sut.serve('x', FAR, call);
      void sut.serve('y', FAR, call);
      expect(signals.map((s) => s.aborted)).toEqual([true, false]);
    });
  });

  describe('deadlines', () => {
    beforeEach(() => {
      jest.useFakeTimers();
      jest.setSystemTime(0);
    });
    afterEach(() => jest.useRealTimers());

    it('abort the call when the latest deadline of its askers passes', () => {
      const sut = new Invocations();
      const { call, signals } = pendingCall();
      void sut.serve('x', 1000, call);
      jest.advanceTimersByTime(500);
      // A repeat (say from the runner that took the execution over) waits longer; an earlier
      // deadline does not shorten the wait.
      void sut.serve('x', 3000, call);
      void sut.serve('x', 2000, call);
      jest.advanceTimersByTime(2499);
      expect(signals[0].aborted).toBe(false);
      jest.advanceTimersByTime(1);
      expect(signals).toHaveLength(1);
      expect(signals[0].aborted).toBe(true);
      expect((signals[0].reason as Error).message).toBe('deadline passed');
    });
  });
});
