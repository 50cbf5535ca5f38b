import { BehaviorTree, BuildError, buildTree, type NodeJson, type TreeDocument } from '../src';
import { call, cond, doc, n, ok, v } from './helpers';

function buildError(d: TreeDocument, opts = {}): BuildError {
  try {
    buildTree(d, opts);
  } catch (e) {
    if (e instanceof BuildError) return e;
    throw e;
  }
  throw new Error('expected a BuildError');
}

const sub = (name: string, id?: string, kw?: Record<string, never>) =>
  n('subtree', { id, args: [name], kw });

describe(BehaviorTree.name, () => {
  describe(buildTree.name, () => {
    it('gives path ids, explicit ids, and lists nodes depth-first', () => {
      const t = buildTree(
        doc(n('sequence', ok(), n('selector', { id: 'pick' }, ok(), n('invert', ok())))),
      );
      expect(t.name).toBe('main');
      expect(t.nodes).toEqual([
        { id: '0', type: 'sequence', childIds: ['0.0', 'pick'], depth: 0 },
        { id: '0.0', type: 'success', parentId: '0', childIds: [], depth: 1 },
        { id: 'pick', type: 'selector', parentId: '0', childIds: ['0.1.0', '0.1.1'], depth: 1 },
        { id: '0.1.0', type: 'success', parentId: 'pick', childIds: [], depth: 2 },
        { id: '0.1.1', type: 'invert', parentId: 'pick', childIds: ['0.1.1.0'], depth: 2 },
        { id: '0.1.1.0', type: 'success', parentId: '0.1.1', childIds: [], depth: 3 },
      ]);
    });

    it('continues the path into subtrees and prefixes explicit ids per instance', () => {
      const d = doc(n('sequence', sub('leaf'), sub('leaf', 'second')), {
        name: 'leaf',
        root: n('sequence', n('success', { id: 'x' }), ok()),
      });
      const ids = buildTree(d).nodes.map((x) => x.id);
      expect(ids).toEqual([
        '0',
        '0.0',
        '0.0.0',
        '0.0/x',
        '0.0.0.1',
        'second',
        '0.1.0',
        'second/x',
        '0.1.0.1',
      ]);
    });

    it('picks the main tree, or the one named in options', () => {
      const d: TreeDocument = {
        format: 'canopy/1',
        trees: [
          { name: 'a', root: ok() },
          { name: 'b', main: true, root: n('failure') },
        ],
      };
      expect(buildTree(d).name).toBe('b');
      expect(buildTree(d, { tree: 'a' }).name).toBe('a');
      expect(buildError(d, { tree: 'zz' }).code).toBe('UNKNOWN_TREE');
    });

    it('resolves subtrees in the same document first, then in the library', () => {
      const lib: TreeDocument = {
        format: 'canopy/1',
        trees: [
          { name: 'far', root: n('failure') },
          { name: 'near', root: n('failure') },
        ],
      };
      const d = doc(n('sequence', sub('near'), sub('far')), { name: 'near', root: ok() });
      const t = buildTree(d, { library: [lib] });
      expect(t.tick().status).toBe('FAILURE');
      expect(t.statusOf('0.0.0')).toBe('SUCCESS');
      expect(t.statusOf('0.1.0')).toBe('FAILURE');
    });

    it.each<[string, TreeDocument, string, string | undefined]>([
      ['an unknown node type', doc(n('sequence', n('sequense'))), 'UNKNOWN_NODE_TYPE', '0.0'],
      ['too few children', doc(n('sequence')), 'BAD_ARITY', '0'],
      ['children on a leaf', doc(n('success', ok())), 'BAD_ARITY', '0'],
      ['two children on a decorator', doc(n('invert', ok(), ok())), 'BAD_ARITY', '0'],
      ['a missing required argument', doc(n('repeat', ok())), 'BAD_ARGUMENT', '0'],
      [
        'an unknown keyword',
        doc(n('repeat', { kw: { times: 1, often: 2 } }, ok())),
        'BAD_ARGUMENT',
        '0',
      ],
      ['a literal of the wrong kind', doc(n('wait', { kw: { ms: 'soon' } })), 'BAD_ARGUMENT', '0'],
      [
        'a bad keyword choice',
        doc(n('parallel', { kw: { policy: { kw: 'most' } } }, ok())),
        'BAD_ARGUMENT',
        '0',
      ],
      [
        'both :success and :policy',
        doc(n('parallel', { kw: { success: 1, policy: { kw: 'require-one' } } }, ok())),
        'BAD_ARGUMENT',
        '0',
      ],
      [
        'an option outside a scoring-selector',
        doc(n('option', { args: [1] }, ok())),
        'BAD_PARENT',
        '0',
      ],
      [
        'a non-option under a scoring-selector',
        doc(n('scoring-selector', ok())),
        'BAD_PARENT',
        '0',
      ],
      ['an unknown function', doc(cond(call('frob', 1))), 'UNKNOWN_FUNCTION', '0'],
      ['a bad function arity', doc(cond(call('not'))), 'EXPR_ARITY', '0'],
      ['a malformed key', doc(n('set', { args: ['a//b', 1] })), 'BAD_ARGUMENT', '0'],
      ['an unset key ending with /', doc(n('unset', { args: ['x/'] })), 'BAD_ARGUMENT', '0'],
      [
        'an :into key starting with / after its scope',
        doc(n('llm-call', { kw: { prompt: 'p', into: 'team:/x' } })),
        'BAD_ARGUMENT',
        '0',
      ],
      [
        'a literal get key with an empty segment',
        doc(cond(call('get', 'a//b', 0))),
        'BAD_EXPRESSION',
        '0',
      ],
      [
        'an empty literal get key',
        doc(n('set', { args: ['x', call('+', 1, call('get', ''))] })),
        'BAD_EXPRESSION',
        '0',
      ],
      ['a literal get key of a scope only', doc(cond(call('get', 'team:'))), 'BAD_EXPRESSION', '0'],
      ['an unknown subtree', doc(sub('ghost')), 'UNKNOWN_SUBTREE', '0'],
      [
        'a recursive subtree',
        doc(sub('a'), { name: 'a', root: n('sequence', sub('b')) }, { name: 'b', root: sub('a') }),
        'RECURSIVE_SUBTREE',
        '0.0.0.0',
      ],
      [
        'a duplicate id',
        doc(n('sequence', n('success', { id: 'x' }), n('failure', { id: 'x' }))),
        'DUPLICATE_ID',
        'x',
      ],
      [
        'an explicit id colliding with a path id',
        doc(n('sequence', n('success', { id: '0.1' }), ok())),
        'DUPLICATE_ID',
        '0.1',
      ],
      ['an empty document', { format: 'canopy/1', trees: [] }, 'BAD_DOCUMENT', undefined],
    ])('rejects %s', (_label, d, code, nodeId) => {
      const e = buildError(d);
      expect([e.code, e.nodeId]).toEqual([code, nodeId]);
      expect(e.message.length).toBeGreaterThan(0);
    });

    it('names the tree and path of the failing node', () => {
      const e = buildError(
        doc(n('sequence', sub('child')), {
          name: 'child',
          root: n('sequence', ok(), n('sequense')),
        }),
      );
      expect(e.path).toBe('child:0.1');
      expect(e.nodeId).toBe('0.0.0.1');
      expect(e.message).toBe("child:0.1 (sequense, id '0.0.0.1'): unknown node type 'sequense'");
    });

    it('accepts semaphore :name as a keyword or in the name attribute', () => {
      const asKw = n('semaphore', { kw: { name: 's', max: 1 } }, ok());
      const asAttr: NodeJson = { ...n('semaphore', { kw: { max: 1 } }, ok()), name: 's' };
      expect(buildTree(doc(asKw)).tick().writes[0].key).toBe('__semaphore:s');
      expect(buildTree(doc(asAttr)).tick().writes[0].key).toBe('__semaphore:s');
    });

    it('fingerprints structure, not labels or comments', () => {
      const base = n('sequence', cond(v('x')), ok());
      const same = { ...base, name: 'label', comments: ['hello'] };
      const other = n('sequence', cond(v('y')), ok());
      expect(buildTree(doc(base)).fingerprint).toBe(buildTree(doc(same)).fingerprint);
      expect(buildTree(doc(base)).fingerprint).not.toBe(buildTree(doc(other)).fingerprint);
      expect(buildTree(doc(base)).fingerprint).toMatch(/^[0-9a-f]{16}$/);
    });
  });
});
