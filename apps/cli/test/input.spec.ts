import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../src/main';
import { captureIo } from './capture-io';

/** Issue 10: the CLI as a newcomer meets it, and every bad input answered well. */

const harness = captureIo;

function tempFile(name: string, text: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'canopy-input-')), name);
  writeFileSync(path, text);
  return path;
}

const TREE = '(tree "t" (sequence (set "n" (+ (get "n" 0) 1)) (running)))';

describe('canopy: help, version, stdin', () => {
  it.each([['run'], ['check'], ['viz'], ['push'], ['keys']])('%s --help prints the usage and exits 0', async (command) => {
    const h = harness();
    expect(await main([command, '--help'], h.io)).toBe(0);
    expect(h.out()).toMatch(/^usage: canopy <command>/);
    expect(h.err()).toBe('');
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(resolve(__dirname, '../package.json'), 'utf8')) as { version: string };
    const h = harness();
    expect(await main(['--version'], h.io)).toBe(0);
    expect(h.out()).toBe(`canopy ${version}\n`);
  });

  it('reads FILE - from stdin', async () => {
    const child = spawn(process.execPath, [resolve(__dirname, '../bin/canopy.js'), 'check', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.end('(tree "t" (sequense))');
    const [code] = await once(child, 'exit');
    expect({ code, err }).toEqual({ code: 2, err: "-:1:12: unknown node type 'sequense' (did you mean 'sequence'?)\n" });
  }, 60_000);
});

describe('canopy: bad input', () => {
  it('a binary file: at most 20 errors, control characters escaped', async () => {
    const bytes = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 37) % 256));
    const h = harness();
    expect(await main(['check', tempFile('blob.lisp', bytes)], h.io)).toBe(2);
    const lines = h.err().trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(21);
    // eslint-disable-next-line no-control-regex
    expect(h.err()).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it.each([['__proto__=5'], ['a//b=1'], ['global:x=1']])('--set %s is refused (exit 2), not dropped', async (set) => {
    const h = harness();
    expect(await main(['run', tempFile('t.lisp', TREE), '--set', set], h.io)).toBe(2);
    expect(h.err()).toMatch(/^canopy: --set: the key '.*' (has|starts)/);
  });

  it('--tree nope exits 2 with the reason', async () => {
    const h = harness();
    expect(await main(['run', tempFile('t.lisp', TREE), '--tree', 'nope'], h.io)).toBe(2);
    expect(h.err()).toContain("no tree named 'nope'");
  });

  it('viz --out x.bmp is refused; --out into a missing directory says so', async () => {
    const file = tempFile('t.lisp', TREE);
    const bmp = harness();
    expect(await main(['viz', file, '--out', join(tmpdir(), 'x.bmp')], bmp.io)).toBe(2);
    expect(bmp.err()).toMatch(/^canopy: --out .*x\.bmp: cannot tell the format from '\.bmp'/);
    const missing = harness();
    expect(await main(['viz', file, '--out', '/no/such/dir/x.png'], missing.io)).toBe(2);
    expect(missing.err()).toBe('canopy: cannot write /no/such/dir/x.png: its directory does not exist\n');
  });
});

describe('canopy run, pretty', () => {
  it('shows the blackboard, what each tick wrote, and the tree only when a node changed', async () => {
    const h = harness();
    expect(await main(['run', tempFile('t.lisp', TREE), '--ticks', '2', '--set', 'n=41'], h.io)).toBe(0);
    expect(h.out()).toBe(
      'blackboard {"n":41}\n' +
        'tick 1  RUNNING  t=0ms\n' +
        '  set n 41 -> 42\n' +
        '▶ sequence [0] RUNNING\n' +
        '├─ ✓ set [0.0] SUCCESS\n' +
        '└─ ▶ running [0.1] RUNNING\n' +
        'tick 2  RUNNING  t=100ms  (no node changed)\n',
    );
  });
});

describe('README', () => {
  it('shows examples/robot-patrol.lisp as it is (after its comment lines)', () => {
    const readme = readFileSync(resolve(__dirname, '../../../README.md'), 'utf8');
    const shown = /```lisp\n([\s\S]*?)```/.exec(readme)?.[1];
    const file = readFileSync(resolve(__dirname, '../../../examples/robot-patrol.lisp'), 'utf8');
    expect(shown).toBe(`${file.slice(file.indexOf('(tree')).trimEnd()}\n`);
  });
});
