import { ScopeCache, type ScopeData } from './scope-cache';

const data = (entries: Record<string, [unknown, number]>): ScopeData => ({
  values: new Map(Object.entries(entries).map(([k, [v]]) => [k, v])),
  versions: new Map(Object.entries(entries).map(([k, [, n]]) => [k, n])),
});

describe(ScopeCache.name, () => {
  it('applies a change only if its version is newer than the cached one', async () => {
    const sut = new ScopeCache(async () => data({ x: [1, 5] }));
    await sut.acquire('global');
    expect(sut.apply({ scope: 'global', key: 'x', value: 2, version: 5 })).toBe(false);
    expect(sut.apply({ scope: 'global', key: 'x', value: 0, version: 4 })).toBe(false);
    expect(sut.get('global', 'x')).toBe(1);
    expect(sut.apply({ scope: 'global', key: 'x', value: 3, version: 6 })).toBe(true);
    expect(sut.get('global', 'x')).toBe(3);
    expect(sut.apply({ scope: 'global', key: 'x', version: 7, deleted: true })).toBe(true);
    expect(sut.has('global', 'x')).toBe(false);
    // A late, older change does not resurrect the deleted key.
    expect(sut.apply({ scope: 'global', key: 'x', value: 9, version: 6 })).toBe(false);
    expect(sut.has('global', 'x')).toBe(false);
  });

  it('a new key starts from version 0', async () => {
    const sut = new ScopeCache(async () => data({}));
    await sut.acquire('team:t');
    expect(sut.apply({ scope: 'team:t', key: 'k', value: 'v', version: 1 })).toBe(true);
    expect(sut.version('team:t', 'k')).toBe(1);
  });

  it('ignores scopes it does not hold, and replays changes that arrive while loading', async () => {
    let finishLoad!: (d: ScopeData) => void;
    const sut = new ScopeCache(() => new Promise<ScopeData>((resolve) => (finishLoad = resolve)));
    expect(sut.apply({ scope: 'exec:a', key: 'k', value: 1, version: 1 })).toBe(false);
    const acquired = sut.acquire('exec:a');
    sut.apply({ scope: 'exec:a', key: 'k', value: 'newer', version: 3 });
    sut.apply({ scope: 'exec:a', key: 'j', value: 'older', version: 1 });
    finishLoad(data({ k: ['loaded', 2], j: ['loaded', 2] }));
    await acquired;
    expect(sut.get('exec:a', 'k')).toBe('newer');
    expect(sut.get('exec:a', 'j')).toBe('loaded');
  });

  it('local writes are visible at once and keep the version until the commit brings one', async () => {
    const sut = new ScopeCache(async () => data({ k: [1, 1] }));
    await sut.acquire('global');
    sut.writeLocal('global', 'k', 2);
    expect(sut.get('global', 'k')).toBe(2);
    expect(sut.version('global', 'k')).toBe(1);
    sut.apply({ scope: 'global', key: 'k', value: 2, version: 2 });
    expect(sut.version('global', 'k')).toBe(2);
  });

  it('drops a scope with its last reference', async () => {
    let loads = 0;
    const sut = new ScopeCache(async () => {
      loads++;
      return data({});
    });
    await Promise.all([sut.acquire('global'), sut.acquire('global')]);
    expect(loads).toBe(1);
    sut.release('global');
    expect(sut.isCached('global')).toBe(true);
    sut.release('global');
    expect(sut.isCached('global')).toBe(false);
  });

  it('a stale scope is read again by refresh, and a change arriving during the read is kept', async () => {
    let redis = data({ k: [1, 1] });
    let finishRead: (() => void) | undefined;
    const sut = new ScopeCache(
      () =>
        new Promise<ScopeData>((resolve) => {
          const snapshot = redis;
          if (finishRead === undefined) resolve(snapshot);
          else finishRead = () => resolve(snapshot);
        }),
    );
    await sut.acquire('global');
    sut.writeLocal('global', 'k', 'never committed');
    sut.markStale('global');
    expect(sut.isStale('global')).toBe(true);

    redis = data({ k: [2, 2] });
    finishRead = () => undefined;
    const refreshed = sut.refresh(['global', 'team:other']);
    // Newer than what the read returns: must survive it.
    sut.apply({ scope: 'global', key: 'k', value: 3, version: 3 });
    finishRead();
    await refreshed;
    expect(sut.isStale('global')).toBe(false);
    expect(sut.get('global', 'k')).toBe(3);
    expect(sut.version('global', 'k')).toBe(3);
  });

  it('markAllStale marks every cached scope, and acquire says whether a scope was cached', async () => {
    const sut = new ScopeCache(async () => data({}));
    expect(await sut.acquire('global')).toBe(false);
    expect(await sut.acquire('global')).toBe(true);
    await sut.acquire('team:t');
    sut.markAllStale();
    expect([sut.isStale('global'), sut.isStale('team:t')]).toEqual([true, true]);
  });
});
