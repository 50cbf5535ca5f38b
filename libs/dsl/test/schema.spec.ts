import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compile, treeDocumentSchema, validateDocument } from '../src';
import { validates } from './support/json-schema';

const SCHEMA_FILE = join(__dirname, '..', 'schema', 'canopy-tree.schema.json');
const CORPUS = join(__dirname, 'corpus');

const tree = (root: unknown): unknown => ({ format: 'canopy/1', trees: [{ name: 't', root }] });
const S = { type: 'success' };

describe('treeDocumentSchema', () => {
  it('equals the committed schema file (regenerate with libs/dsl/scripts/write-schema.ts)', () => {
    expect(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(treeDocumentSchema);
  });

  it('is a draft 2020-12 schema whose node type is an enum of the catalogue', () => {
    expect(treeDocumentSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const node = (
      treeDocumentSchema.$defs as Record<string, { properties: { type: { enum: string[] } } }>
    ).node;
    expect(node.properties.type.enum).toContain('fallback');
    expect(node.properties.type.enum).toContain('llm-call');
  });

  it.each(readdirSync(CORPUS))('accepts the compiled %s', (name) => {
    const { document, errors } = compile(readFileSync(join(CORPUS, name), 'utf8'));
    expect(errors).toEqual([]);
    expect(validates(treeDocumentSchema, JSON.parse(JSON.stringify(document)))).toBe(true);
  });

  it.each([
    ['x', true],
    ['a/b', true],
    ['team:x', true],
    ['exec:a:b', true],
    ['', false],
    ['a//b', false],
    ['x/', false],
    ['/x', false],
    ['team:', false],
    ['team:/x', false],
    ['tem:x', false],
    [':x', false],
    ['a/b:c', false],
  ])('takes the key %j as validateDocument does (%s)', (key, accepted) => {
    const json = tree({ type: 'set', args: [key, 1] });
    expect(validates(treeDocumentSchema, json)).toBe(accepted);
    expect(validateDocument(json).errors.length === 0).toBe(accepted);
  });

  it.each([
    ['x', true],
    ['team:a/b', true],
    ['tem:y', false],
    ['a//b', false],
    ['exec:a:b', false],
  ])('takes the key read $%s as validateDocument does (%s)', (path, accepted) => {
    const json = tree({ type: 'condition', args: [{ $: path }] });
    expect(validates(treeDocumentSchema, json)).toBe(accepted);
    expect(validateDocument(json).errors.length === 0).toBe(accepted);
  });

  it.each([
    ['a wrong format', { format: 'canopy/2', trees: [{ name: 't', root: S }] }],
    ['no trees', { format: 'canopy/1', trees: [] }],
    ['an unknown node type', tree({ type: 'sequense', children: [S] })],
    ['a missing child', tree({ type: 'invert' })],
    ['too many children', tree({ type: 'invert', children: [S, S] })],
    ['children of a leaf', tree({ type: 'success', children: [S] })],
    ['a missing required keyword', tree({ type: 'wait' })],
    ['an unknown keyword', tree({ type: 'wait', kwargs: { ms: 1, tims: 2 } })],
    ['a string where a number goes', tree({ type: 'wait', kwargs: { ms: '1' } })],
    [
      'a bad keyword choice',
      tree({ type: 'parallel', kwargs: { policy: { kw: 'any' } }, children: [S] }),
    ],
    ['too many positional arguments', tree({ type: 'unset', args: ['a', 'b'] })],
    ['a bad scope prefix', tree({ type: 'unset', args: ['glob:a'] })],
    [
      'an option outside scoring-selector',
      tree({ type: 'sequence', children: [{ type: 'option', args: [1], children: [S] }] }),
    ],
    ['a non-option child of scoring-selector', tree({ type: 'scoring-selector', children: [S] })],
    ['an option as root', tree({ type: 'option', args: [1], children: [S] })],
    [
      'a label on a semaphore',
      tree({ type: 'semaphore', name: 'x', kwargs: { name: 's', max: 1 }, children: [S] }),
    ],
    [
      ':name in the kwargs of an action',
      tree({ type: 'action', args: ['go'], kwargs: { name: 'x' } }),
    ],
    ['a path-like id', tree({ type: 'success', id: '0.1' })],
    ['an unknown expression shape', tree({ type: 'condition', args: [{ foo: 1 }] })],
    ['an unknown function', tree({ type: 'condition', args: [{ call: 'lenn', args: [] }] })],
    ['a multi-line comment', tree({ type: 'success', comments: ['a\nb'] })],
  ])('rejects %s', (_what, json) => {
    expect(validates(treeDocumentSchema, json)).toBe(false);
  });
});
