import { semaphoreProblems } from './semaphore-watch';

describe(semaphoreProblems.name, () => {
  const change = (version: number, holders: string[] | undefined, source = 'exec:a') => ({
    version,
    holders,
    source,
  });

  it('accepts every version once, in any arrival order, never over max', () => {
    expect(
      semaphoreProblems('k', 1, [change(2, []), change(1, ['a:0']), change(3, ['b:0'])]),
    ).toEqual([]);
  });

  it('finds too many holders, a holder listed twice, skipped versions and conflicting announcements', () => {
    expect(
      semaphoreProblems('k', 1, [
        change(1, ['a:0']),
        change(2, ['a:0', 'b:0']),
        change(5, ['c:0', 'c:0']),
        change(5, ['d:0'], 'exec:d'),
      ]),
    ).toEqual([
      'k v2: 2 holders, max 1: a:0 b:0',
      'k v5: 2 holders, max 1: c:0 c:0',
      'k v5: announced twice with different values (exec:a, exec:d)',
      'k: versions never announced (skipped): 3-4 of 1-5',
    ]);
    expect(semaphoreProblems('k', 2, [change(1, ['c:0', 'c:0'])])).toEqual([
      'k v1: a holder twice: c:0 c:0',
    ]);
  });
});
