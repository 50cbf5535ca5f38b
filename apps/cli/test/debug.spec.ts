import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseCommand } from '../src/debug/commands';
import { main } from '../src/main';
import { captureIo } from './capture-io';

const harness = captureIo;

/**
 * Ids by the index-path rule (docs/language.md "Ids"): the root is 0, its children 0.0, 0.1 (here
 * `inner`, an explicit id) and 0.2; inner's children 0.1.0 and 0.1.1. With a=1, tick 1 sets a to 2
 * and leaves the async action RUNNING; tick 2 resumes inner at the action, which has settled,
 * checks a > 1 and sets done.
 */
const TREE = `(tree "main"
  (sequence
    (set "a" (+ (get "a" 0) 1))
    (sequence :id "inner"
      (action work :n $a)
      (condition (> $a 1)))
    (set "done" true)))
`;

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-debug-'));
  const calls = join(dir, 'calls.log');
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const tree = write('t.lisp', TREE);
  // Each call is a line in a file: the test sees how often the debugger's re-runs called it.
  const actions = write(
    'actions.js',
    `const { appendFileSync } = require('node:fs');
module.exports = {
  work: async ({ n }) => {
    appendFileSync(${JSON.stringify(calls)}, 'work ' + n + '\\n');
    return 'SUCCESS';
  },
};
`,
  );
  const script = (lines: string[]) => write('commands.txt', `${lines.join('\n')}\n`);
  const callLog = () => {
    try {
      return readFileSync(calls, 'utf8');
    } catch {
      return '';
    }
  };
  return { tree, actions, script, callLog };
}

/** The transcript as [command, its output lines] pairs. */
function transcript(out: string): [string, string[]][] {
  const pairs: [string, string[]][] = [];
  for (const line of out.split('\n').slice(0, -1)) {
    if (line.startsWith('(canopy) ')) pairs.push([line.slice('(canopy) '.length), []]);
    else pairs[pairs.length - 1][1].push(line);
  }
  return pairs;
}

describe('canopy debug', () => {
  it('stops, steps, prints, replaces and watches through a scripted session', async () => {
    const w = workspace();
    const commands = w.script([
      '# ids first',
      'tree',
      'break 0.0',
      'c',
      'print a',
      'next',
      'p $a',
      '',
      'step',
      'step',
      'tree',
      'finish',
      'continue',
      'continue',
      'print done',
      'delete 0.0',
      'replace 0.1.0 FAILURE',
      'continue',
      'watch a',
      'continue',
      'info',
      'quit',
      'print a',
    ]);
    const h = harness();
    const code = await main(
      ['debug', w.tree, '--set', 'a=1', '--actions', w.actions, '--commands', commands],
      h.io,
    );
    expect(h.err()).toBe('');
    expect(code).toBe(0);
    expect(transcript(h.out())).toEqual([
      [
        'tree',
        [
          '   · sequence [0] IDLE',
          '   ├─ · set [0.0] IDLE',
          '   ├─ · sequence [inner] IDLE',
          '   │  ├─ · action [0.1.0] IDLE',
          '   │  └─ · condition [0.1.1] IDLE',
          '   └─ · set [0.2] IDLE',
        ],
      ],
      ['break 0.0', ['b1: break before [0.0] set']],
      ['c', ['tick 1 paused before [0.0] set (breakpoint b1)']],
      // Before the set: the value given with --set.
      ['print a', ['a = 1']],
      ['next', ['tick 1 paused after [0.0] set: SUCCESS (step)']],
      ['p $a', ['a = 2']],
      ['step', ['tick 1 paused before [inner] sequence (step)']],
      ['step', ['tick 1 paused before [0.1.0] action (step)']],
      [
        'tree',
        [
          // Statuses as they are at the pause: only the set has returned yet.
          '   · sequence [0] IDLE',
          '   ├─ ✓ set [0.0] SUCCESS',
          '   ├─ · sequence [inner] IDLE',
          '=> │  ├─ · action [0.1.0] IDLE  (paused before)',
          '   │  └─ · condition [0.1.1] IDLE',
          '   └─ · set [0.2] IDLE',
        ],
      ],
      // The action is async: RUNNING, so inner is RUNNING and returns to the root.
      ['finish', ['tick 1 paused after [inner] sequence: RUNNING (step)']],
      ['continue', ['tick 1 completed: RUNNING']],
      // The breakpoint on 0.0 is not met: the root sequence resumes at inner.
      ['continue', ['tick 2 completed: SUCCESS']],
      ['print done', ['done = true']],
      ['delete 0.0', ['deleted b1']],
      ['replace 0.1.0 FAILURE', ['b2: replace [0.1.0] action with FAILURE']],
      [
        'continue',
        ['tick 3 completed: FAILURE', '  replaced [0.1.0] action with FAILURE (breakpoint b2)'],
      ],
      ['watch a', ['w1: watch a']],
      [
        'continue',
        [
          'tick 4 paused after [0.0] set: SUCCESS (watch w1)',
          '  watch w1: a 3 -> 4 (written by [0.0] set)',
        ],
      ],
      ['info', ['b2: replace [0.1.0] action with FAILURE', 'w1: watch a']],
      // Nothing after quit runs.
      ['quit', []],
    ]);
    // Tick 1 ran again from its start at every step; the action was called in tick 1 only.
    expect(w.callLog()).toBe('work 2\n');
  });

  it('reports a bad command, an unknown node and a bad condition, goes on, and exits 1', async () => {
    const w = workspace();
    const commands = w.script([
      'break 0.9',
      'break 0.1.1 if (and (> $a 1) (frob 2))',
      'frobnicate',
      'replace 0.2 MAYBE',
      'unwatch w7',
      'break 0.2 after',
      'tick 3',
    ]);
    const h = harness();
    expect(
      await main(['debug', w.tree, '--actions', w.actions, '--commands', commands], h.io),
    ).toBe(1);
    expect(transcript(h.out())).toEqual([
      ['break 0.9', [expect.stringMatching(/^error UNKNOWN_NODE: unknown node '0\.9'/)]],
      // frob starts at column 15 of the condition.
      [
        'break 0.1.1 if (and (> $a 1) (frob 2))',
        [
          "error BAD_CONDITION at 1:15: unknown function 'frob'",
          '  (and (> $a 1) (frob 2))',
          '                ^',
        ],
      ],
      ['frobnicate', ["error: unknown command 'frobnicate' (try 'help')"]],
      [
        'replace 0.2 MAYBE',
        ['error: replace needs a NODE id and a status: SUCCESS, FAILURE or RUNNING'],
      ],
      ['unwatch w7', ["error: no watch 'w7' (see 'info')"]],
      ['break 0.2 after', ['b1: break after [0.2] set']],
      // Without --set, a is 1 after tick 1: the condition fails in tick 2, 0.2 is never reached.
      [
        'tick 3',
        ['tick 1 completed: RUNNING', 'tick 2 completed: FAILURE', 'tick 3 completed: RUNNING'],
      ],
    ]);
  });

  it('exits 2 with file:line:column for a bad tree file', async () => {
    const w = workspace();
    const bad = join(mkdtempSync(join(tmpdir(), 'canopy-debug-')), 'bad.lisp');
    writeFileSync(bad, '(tree "t" (sequense (success)))\n');
    const h = harness();
    expect(await main(['debug', bad, '--commands', w.script(['quit'])], h.io)).toBe(2);
    expect(h.err()).toBe(`${bad}:1:12: unknown node type 'sequense' (did you mean 'sequence'?)\n`);
    expect(h.out()).toBe('');
  });

  it('exits 2 for a missing commands file or a stray argument', async () => {
    const w = workspace();
    const h = harness();
    expect(await main(['debug', w.tree, '--commands', '/nonexistent/cmds'], h.io)).toBe(2);
    expect(h.err()).toContain('/nonexistent/cmds: cannot read file (ENOENT)');
    expect(await main(['debug', w.tree, 'extra'], harness().io)).toBe(2);
  });

  it('reads commands from a pipe, echoing them, and quits at the end of input', async () => {
    const w = workspace();
    const h = harness(Readable.from(['into\nwhere\n', 'tree\n']));
    expect(await main(['debug', w.tree, '--actions', w.actions, '--tick-ms', '50'], h.io)).toBe(0);
    expect(transcript(h.out())).toEqual([
      ['into', ['tick 1 paused before [0] sequence (step)']],
      ['where', ['tick 1 paused before [0] sequence (step)']],
      [
        'tree',
        [
          '=> · sequence [0] IDLE  (paused before)',
          '   ├─ · set [0.0] IDLE',
          '   ├─ · sequence [inner] IDLE',
          '   │  ├─ · action [0.1.0] IDLE',
          '   │  └─ · condition [0.1.1] IDLE',
          '   └─ · set [0.2] IDLE',
        ],
      ],
    ]);
    // The paused tick is dropped on the way out: the action never ran.
    expect(w.callLog()).toBe('');
  });
});

describe('debug command lines', () => {
  it('parses breakpoints with options and a verbatim condition', () => {
    expect(parseCommand('b x after once if (> $a (+ 1 2))')).toEqual({
      kind: 'break',
      nodeId: 'x',
      when: 'after',
      once: true,
      condition: '(> $a (+ 1 2))',
    });
    expect(parseCommand('tbreak "my node"')).toEqual({
      kind: 'break',
      nodeId: 'my node',
      when: 'before',
      once: true,
    });
    expect(parseCommand('replace 0.1 failure')).toEqual({
      kind: 'replace',
      nodeId: '0.1',
      status: 'FAILURE',
      once: false,
    });
    expect(parseCommand('watch $team:free if (< $team:free 1)')).toEqual({
      kind: 'watch',
      key: 'team:free',
      condition: '(< $team:free 1)',
    });
  });

  it('maps the gdb aliases and skips blanks and comments', () => {
    expect(
      ['s', 'into', 'n', 'over', 'fin', 'out', 'c', 'continue'].map((l) => parseCommand(l)),
    ).toEqual(
      ['into', 'into', 'over', 'over', 'out', 'out', 'continue', 'continue'].map((mode) => ({
        kind: 'step',
        mode,
      })),
    );
    expect(parseCommand('tick')).toEqual({ kind: 'tick', count: 1 });
    expect(parseCommand('  # note')).toBeUndefined();
    expect(parseCommand('   ')).toBeUndefined();
    expect(() => parseCommand('tree if (> $a 1)')).toThrow('tree takes no condition');
    expect(() => parseCommand('tick 0')).toThrow('N must be an integer >= 1');
    expect(() => parseCommand('break x if')).toThrow("'if' needs a condition");
  });
});
