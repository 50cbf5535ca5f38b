import { FormatIssueCode, formatIssue, importMdsl } from '../src';
import { canopy } from './fixtures';

describe('mistreevous MDSL import', () => {
  it('the main root, named roots as subtrees, and every node with a Canopy form', () => {
    const { document, issues } = importMdsl(
      `/* a comment */
root {
  sequence {
    action [Walk, "fast", 2, true, $speed]
    condition [IsHungry]
    selector { branch [Eat] wait [500] }
    race { action [A] action [B] }
    all { action [C] action [D] }
    parallel { action [E] action [F] }
    repeat [3] { flip { action [G] } }
    retry { succeed { fail { action [H] } } }
    wait
  }
}
root [Eat] { action [Chew] }`,
      { file: 'agent.mdsl' },
    );
    expect(issues).toEqual([]);
    expect(document).toEqual(
      canopy(`(tree "main"
        (sequence
          (action Walk :args ["fast" 2 true $speed])
          (action IsHungry)
          (selector (subtree "Eat") (wait :ms 500))
          (parallel :success 1 :failure 2 (action A) (action B))
          (parallel (force-success (action C)) (force-success (action D)))
          (parallel (action E) (action F))
          (repeat :times 3 (invert (action G)))
          (retry :times -1 (force-success (force-failure (action H))))
          (running)))
      (tree "Eat" (action Chew))`),
    );
  });

  it('guards, callbacks, lotto and random ranges are errors at their line and column', () => {
    const { document, issues } = importMdsl(
      `root {
  sequence while(IsAlive) {
    lotto { action [A] action [B] }
    wait [100, 200]
    action [C] entry(Start)
  }
}`,
      { file: 'a.mdsl' },
    );
    expect(document).toBeUndefined();
    expect(issues.map(formatIssue)).toEqual([
      'a.mdsl:2:12: while(...): mistreevous guards and callbacks call the agent; Canopy has no such hooks (use guard, condition or action nodes)',
      'a.mdsl:3:5: lotto picks a child at random; Canopy trees are deterministic (use scoring-selector)',
      'a.mdsl:4:5: wait: only a fixed duration in ms can be carried over',
      'a.mdsl:5:16: entry(...): mistreevous guards and callbacks call the agent; Canopy has no such hooks (use guard, condition or action nodes)',
    ]);
  });

  it('syntax errors and unknown names are positioned', () => {
    expect(importMdsl('root {\n  sequence {\n    action [A]\n', { file: 'x' }).issues.map(formatIssue)).toEqual([
      "x:4:1: expected '}' before the end of the file",
    ]);
    const unknown = importMdsl('root { sequense { action [A] } }', { file: 'y' }).issues;
    expect(unknown.map((i) => [i.line, i.column, i.code])).toEqual([[1, 8, FormatIssueCode.Invalid]]);
    expect(importMdsl('root { branch [Nope] }').issues[0].message).toContain('branch [Nope]');
  });
});
