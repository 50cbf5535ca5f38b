import { RecentCancels } from './recent-cancels';

describe(RecentCancels.name, () => {
  it('answers once per remembered id, until it expires', () => {
    const sut = new RecentCancels(1000);
    sut.remember('a', 0);
    sut.remember('b', 0);
    expect(sut.take('a', 500)).toBe(true);
    expect(sut.take('a', 500)).toBe(false);
    expect(sut.take('b', 1500)).toBe(false);
  });

  it('keeps at most max ids, dropping the oldest', () => {
    const sut = new RecentCancels(1000, 2);
    sut.remember('a', 0);
    sut.remember('b', 1);
    sut.remember('c', 2);
    expect([sut.take('a', 3), sut.take('b', 3), sut.take('c', 3)]).toEqual([false, true, true]);
  });
});
