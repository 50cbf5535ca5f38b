import { WindowedMax } from './windowed-max';

describe('WindowedMax', () => {
  it('answers the largest value of the last window, the same to every reader', () => {
    const w = new WindowedMax(1000, 10);
    w.record(5, 10_000);
    w.record(30, 10_500);
    w.record(7, 12_000);
    expect(w.max(12_100)).toBe(30);
    expect(w.max(12_100)).toBe(30); // a second scraper sees what the first saw
  });

  it('lets a spike age out after the window, bucket by bucket', () => {
    const w = new WindowedMax(1000, 10);
    w.record(30, 10_500); // bucket 10
    w.record(7, 12_000); // bucket 12
    expect(w.max(19_999)).toBe(30); // buckets 10..19
    expect(w.max(20_000)).toBe(7); // buckets 11..20: the spike is gone
    expect(w.max(22_000)).toBe(0); // buckets 13..22: nothing recorded
  });

  it('reuses a ring slot for a new bucket instead of keeping the old maximum', () => {
    const w = new WindowedMax(1000, 3);
    w.record(50, 0); // bucket 0, slot 0
    w.record(4, 3000); // bucket 3, slot 0 again
    expect(w.max(3000)).toBe(4);
  });
});
