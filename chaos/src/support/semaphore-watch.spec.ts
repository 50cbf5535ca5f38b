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

  it('excuses versions skipped at a kill only when the announcements around them arrived near it, and few', () => {
    const at = (version: number, ms: number) => ({ ...change(version, ['a:0']), at: ms });
    const kill = { at: 10_000, withinMs: 1000, maxVersions: 2 };
    // v3-4 died with the killed runner: v2 and v5 arrived around the kill.
    const aroundKill = [at(1, 9_000), at(2, 9_900), at(5, 10_200), at(6, 10_300)];
    expect(semaphoreProblems('k', 1, aroundKill, kill)).toEqual([]);
    expect(semaphoreProblems('k', 1, aroundKill)).toEqual(['k: versions never announced (skipped): 3-4 of 1-6']);
    // A gap far from the kill is still a problem.
    const later = [at(1, 9_900), at(2, 10_100), at(4, 30_000)];
    expect(semaphoreProblems('k', 1, later, kill)).toEqual(['k: versions never announced (skipped): 3 of 1-4']);
    // More skipped versions than the kill can explain: none excused.
    const many = [at(1, 9_900), at(5, 10_100)];
    expect(semaphoreProblems('k', 1, many, kill)).toEqual(['k: versions never announced (skipped): 2-4 of 1-5']);
  });
});
