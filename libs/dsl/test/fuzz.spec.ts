import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TreeDocument } from '@canopy/engine';
import {
  DslErrorCode,
  compile,
  format,
  parse,
  print,
  validateDocument,
  type DslError,
} from '../src';
import { examples } from './support/examples';

/** mulberry32: small, seedable, good enough to spread mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CORPUS = join(__dirname, 'corpus');
const SEEDS = [
  ...readdirSync(CORPUS).map((name) => readFileSync(join(CORPUS, name), 'utf8')),
  ...examples.map(([, source]) => source),
  '(tree "a" (sequence (action go :x 1) (condition (> $a/b 2)) (log "m" [1 {:k "v"}])))',
  '(tree "s" (scoring-selector (option (+ 1 2) (subtree "s"))))',
];
const PIECES = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '"',
  '\\',
  ';',
  ':',
  '$',
  ' ',
  '\n',
  '\r',
  '\t',
  '-',
  '.',
  '0',
  '7',
  'e',
  'a',
  'Z',
  '/',
  '#',
  ',',
  'é',
  '😀',
  ':id',
  ':name',
  '(tree "x" ',
  '(success)',
  'nil',
  'true',
  '"s"',
  ':main true',
  '(option 1 ',
  '(sequence ',
  '$global:',
  'global:',
  '1e999',
  '-0',
  '__proto__',
  'constructor',
];

function mutate(source: string, random: () => number): string {
  let text = source;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const at = (): number => Math.floor(random() * (text.length + 1));
  const count = 1 + Math.floor(random() * 4);
  for (let m = 0; m < count; m++) {
    const kind = Math.floor(random() * 5);
    const i = at();
    if (kind === 0) {
      text = text.slice(0, i) + text.slice(i + 1 + Math.floor(random() * 8));
    } else if (kind === 1) {
      text = text.slice(0, i) + pick(PIECES) + text.slice(i);
    } else if (kind === 2) {
      text = text.slice(0, i);
    } else if (kind === 3) {
      const j = at();
      text = text.slice(0, i) + text.slice(Math.min(i, j), Math.max(i, j)) + text.slice(i);
    } else {
      text = text.slice(0, i) + String.fromCharCode(Math.floor(random() * 0x3000)) + text.slice(i);
    }
  }
  return text;
}

/**
 * Problems with the errors of one input: each must name a real place of the input (a line that
 * exists, a column on it or just past its end). Collected rather than asserted one by one, because
 * thousands of inputs times their errors would make `expect` the slowest part of the test.
 */
function misplaced(source: string, errors: readonly DslError[]): string[] {
  const lines = source.split(/\r\n|\r|\n/);
  return errors
    .filter(
      (e) =>
        e.code === DslErrorCode.Internal ||
        e.line < 1 ||
        e.line > lines.length ||
        e.column < 1 ||
        e.column > lines[e.line - 1].length + 1,
    )
    .map((e) => `${JSON.stringify(source)} -> ${e.line}:${e.column} ${e.code} ${e.message}`);
}

describe('generated inputs', () => {
  it('compile, format and parse never throw, and report errors inside the input', () => {
    const random = prng(20240521);
    let accepted = 0;
    const problems: string[] = [];
    for (let n = 0; n < 3000; n++) {
      const source = mutate(SEEDS[n % SEEDS.length], random);
      const compiled = compile(source, { file: 'fuzz.lisp' });
      const formatted = format(source);
      problems.push(
        ...misplaced(source, compiled.errors),
        ...misplaced(source, parse(source).errors),
        ...misplaced(source, formatted.errors),
      );
      if (formatted.text !== undefined && format(formatted.text).text !== formatted.text) {
        problems.push(`format is not idempotent on ${JSON.stringify(source)}`);
      }
      if (compiled.document) {
        accepted++;
        const again = compile(print(compiled.document)).document;
        if (JSON.stringify(again) !== JSON.stringify(compiled.document)) {
          problems.push(`print does not read back for ${JSON.stringify(source)}`);
        }
      } else if (compiled.errors.length === 0) {
        problems.push(`no document and no errors for ${JSON.stringify(source)}`);
      }
    }
    expect(problems).toEqual([]);
    // The mutations are small enough that some files stay valid, so the round trip is exercised.
    expect(accepted).toBeGreaterThan(100);
  });

  it('validateDocument never throws on mangled JSON, and what it accepts prints and reads back', () => {
    const random = prng(7);
    const documents = SEEDS.map((s) => compile(s).document).filter((d): d is TreeDocument => !!d);
    const junk: unknown[] = [
      null,
      0,
      -1,
      1.5,
      '',
      'x',
      'global:',
      true,
      [],
      {},
      { sym: 'a' },
      { kw: 'k' },
      { $: 'x' },
      { call: 'not', args: [true] },
      { type: 'success' },
      { list: [] },
      { map: { a: 1 } },
      ['a'],
      Number.NaN,
    ];
    const mangle = (value: unknown, depth: number): unknown => {
      if (random() < 0.04 || depth > 30) return junk[Math.floor(random() * junk.length)];
      if (Array.isArray(value)) {
        const items = value.map((v) => mangle(v, depth + 1));
        if (random() < 0.05) items.splice(Math.floor(random() * (items.length + 1)), 1);
        return items;
      }
      if (typeof value === 'object' && value !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
          if (random() < 0.03) continue;
          out[random() < 0.02 ? `${k}x` : k] = mangle(v, depth + 1);
        }
        return out;
      }
      return value;
    };
    let accepted = 0;
    const problems: string[] = [];
    for (let n = 0; n < 2000; n++) {
      const json = mangle(JSON.parse(JSON.stringify(documents[n % documents.length])), 0);
      const result = validateDocument(json);
      for (const error of result.errors) {
        if (error.code === DslErrorCode.Internal || typeof error.path !== 'string') {
          problems.push(`${JSON.stringify(json)} -> ${error.code} ${error.message}`);
        }
      }
      if (result.document) {
        accepted++;
        const again = compile(print(result.document));
        if (JSON.stringify(again.document) !== JSON.stringify(result.document)) {
          problems.push(
            `${JSON.stringify(json)} does not read back: ${again.errors.map((e) => e.message).join('; ')}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
    expect(accepted).toBeGreaterThan(100);
  });
});
