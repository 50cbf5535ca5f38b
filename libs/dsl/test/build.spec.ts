import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBlackboard, buildTree, type TreeDocument } from '@canopy/engine';
import { buildFromSource, compile, formatError } from '../src';
import { examples } from './support/examples';

describe(buildFromSource.name, () => {
  it('compiles and builds a tree that ticks', () => {
    const blackboard = new MemoryBlackboard();
    const { tree, errors } = buildFromSource(
      '(tree "t" (sequence (set "n" (+ 1 2)) (condition (= $n 3))))',
      { blackboard },
    );
    expect(errors).toEqual([]);
    expect(tree?.tick().status).toBe('SUCCESS');
    expect(blackboard.get('exec', 'n')).toBe(3);
  });

  it('returns the errors of the text and builds nothing', () => {
    const result = buildFromSource('(tree "t" (sequense (success)))', { file: 't.lisp' });
    expect(result.tree).toBeUndefined();
    expect(result.errors.map(formatError)).toEqual([
      "t.lisp:1:12: unknown node type 'sequense' (did you mean 'sequence'?)",
    ]);
  });

  it('resolves subtrees from the library documents', () => {
    const library = [compile('(tree "shared" (success))').document as TreeDocument];
    const { tree, errors } = buildFromSource('(tree "t" (subtree "shared"))', { library });
    expect(errors).toEqual([]);
    expect(tree?.tick().status).toBe('SUCCESS');
  });

  const files: [string, string][] = [
    ...readdirSync(join(__dirname, 'corpus')).map((name): [string, string] => [
      name,
      readFileSync(join(__dirname, 'corpus', name), 'utf8'),
    ]),
    ...examples,
  ];

  it('reads the 7 corpus files and the examples', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it.each(files)(
    'every tree of the compiled %s builds',
    (_name, source) => {
      const document = compile(source).document as TreeDocument;
      for (const tree of document.trees)
        expect(() => buildTree(document, { tree: tree.name })).not.toThrow();
    },
  );
});
