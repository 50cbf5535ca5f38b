import { jsonTooDeep } from './json-depth';

describe(jsonTooDeep.name, () => {
  const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

  it('counts a container as one level and a scalar as none', () => {
    expect(jsonTooDeep(1, 0)).toBe(false);
    expect(jsonTooDeep(null, 0)).toBe(false);
    expect(jsonTooDeep({}, 0)).toBe(true);
    expect(jsonTooDeep({}, 1)).toBe(false);
    expect(jsonTooDeep({ a: [1, { b: 'x' }] }, 3)).toBe(false);
    expect(jsonTooDeep({ a: [1, { b: 'x' }] }, 2)).toBe(true);
  });

  it('is exact at the limit', () => {
    expect(jsonTooDeep(nested(512), 512)).toBe(false);
    expect(jsonTooDeep(nested(513), 512)).toBe(true);
  });

  it('walks without recursion: 100,000 levels neither overflow the stack nor pass', () => {
    expect(jsonTooDeep(nested(100_000), 512)).toBe(true);
  });

  it('finds the one deep branch among wide shallow ones', () => {
    const wide = Array.from({ length: 10_000 }, () => ({ a: 1 }));
    expect(jsonTooDeep([...wide, nested(600)], 512)).toBe(true);
    expect(jsonTooDeep([...wide, nested(100)], 512)).toBe(false);
  });
});
