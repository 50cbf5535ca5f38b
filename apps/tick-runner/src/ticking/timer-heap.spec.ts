import { TimerHeap } from './timer-heap';

describe(TimerHeap.name, () => {
  it('pops due keys earliest first, ties in insertion order', () => {
    const sut = new TimerHeap<string>();
    sut.push('c', 30);
    sut.push('a', 10);
    sut.push('b1', 20);
    sut.push('b2', 20);
    sut.push('d', 40);
    expect(sut.peekDue()).toBe(10);
    expect(sut.popDue(25)).toEqual(['a', 'b1', 'b2']);
    expect(sut.size).toBe(2);
    expect(sut.popDue(100)).toEqual(['c', 'd']);
    expect(sut.peekDue()).toBeUndefined();
  });

  it('keeps one entry per key: pushing again moves it', () => {
    const sut = new TimerHeap<string>();
    sut.push('x', 50);
    sut.push('y', 60);
    sut.push('x', 70);
    expect(sut.size).toBe(2);
    expect(sut.dueOf('x')).toBe(70);
    expect(sut.popDue(65)).toEqual(['y']);
  });

  it('removes any entry and stays ordered', () => {
    const sut = new TimerHeap<number>();
    const dues = [5, 3, 9, 1, 7, 2, 8, 6, 4, 0];
    dues.forEach((due, key) => sut.push(key, due));
    expect(sut.remove(2)).toBe(true); // due 9
    expect(sut.remove(0)).toBe(true); // due 5
    expect(sut.remove(42)).toBe(false);
    expect(sut.popDue(Number.POSITIVE_INFINITY).map((k) => dues[k])).toEqual([0, 1, 2, 3, 4, 6, 7, 8]);
  });

  it('orders many random entries like a sort', () => {
    const sut = new TimerHeap<number>();
    const dues = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    dues.forEach((due, key) => sut.push(key, due));
    const popped = sut.popDue(2000).map((k) => dues[k]);
    expect(popped).toEqual([...dues].sort((a, b) => a - b));
  });
});
