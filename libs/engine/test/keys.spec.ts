import { keyProblem } from '../src';
import { validateTrees } from '../src';
import { call, cond, doc, n, set } from './helpers';

/** Issue 10: one rule for the keys a tree can address, shared by trees and every entry point. */
describe(keyProblem.name, () => {
  it.each([
    ['battery', undefined],
    ['robot/pose/x', undefined],
    ['global:robot/pose/x', undefined],
    ['waypoints/0', undefined],
    ['', 'is empty'],
    ['__proto__', 'has the reserved segment "__proto__"'],
    ['m/__proto__/x', 'has the reserved segment "__proto__"'],
    ['team:__proto__', 'has the reserved segment "__proto__"'],
    ['a//b', 'has an empty segment (leading, trailing or double /)'],
    ['/a', 'has an empty segment (leading, trailing or double /)'],
    ['../../x', 'has the reserved segment ".."'],
    ['./x', 'has the reserved segment "."'],
    ['a\u0001b', 'contains a control character'],
    ['a\u009bb', 'contains a control character'],
  ])('%j: %s', (key, problem) => {
    expect(keyProblem(key)).toBe(problem);
  });

  it('refuses a scope prefix inside a named scope (the REST and NATS blackboard)', () => {
    expect(keyProblem('global:x', false)).toBe('starts with the scope prefix "global:"');
    expect(keyProblem('exec:x', false)).toBe('starts with the scope prefix "exec:"');
    // Not a scope prefix: a plain key with a colon.
    expect(keyProblem('ns:x', false)).toBeUndefined();
  });

  it('trees cannot write such keys: the validator names the reason', () => {
    for (const key of ['__proto__', 'm/__proto__/x', '../x']) {
      const issues = validateTrees(doc(n('sequence', set(key, 1), cond(call('get', key, 0)))));
      expect(issues.map((i) => i.code)).toEqual(['BAD_KEY', 'BAD_KEY']);
      expect(issues[0].message).toMatch(/has the reserved segment .*: no tree can address it$/);
    }
  });
});
