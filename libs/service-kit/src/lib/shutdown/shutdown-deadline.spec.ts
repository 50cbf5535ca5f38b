import { settlesWithin, ShutdownDeadline } from './shutdown-deadline';

describe(ShutdownDeadline.name, () => {
  it('gives the whole timeout until the stop starts, and keeps the kit’s reserve from the app', () => {
    const deadline = new ShutdownDeadline(10_000);
    expect(deadline.remainingMs()).toBe(10_000);
    expect(deadline.appTimeLeftMs()).toBe(10_000 - 2500);
    deadline.start();
    expect(deadline.remainingMs()).toBeLessThanOrEqual(10_000);
    expect(deadline.appTimeLeftMs()).toBeLessThanOrEqual(7500);
  });

  it('lists work while it runs, also when it fails', async () => {
    const deadline = new ShutdownDeadline(1000);
    let finish!: () => void;
    const handover = deadline.track('handover', () => new Promise<void>((r) => (finish = r)));
    const failing = deadline.track('flush', () => Promise.reject(new Error('no collector')));
    await expect(failing).rejects.toThrow('no collector');
    expect(deadline.pending()).toEqual(['handover']);
    finish();
    await handover;
    expect(deadline.pending()).toEqual([]);
  });
});

describe(settlesWithin.name, () => {
  it('tells whether work settled in time, rejected or not', async () => {
    await expect(settlesWithin(Promise.resolve(1), 1000)).resolves.toBe(true);
    await expect(settlesWithin(Promise.reject(new Error('x')), 1000)).resolves.toBe(true);
    await expect(settlesWithin(new Promise(() => undefined), 10)).resolves.toBe(false);
  });
});
