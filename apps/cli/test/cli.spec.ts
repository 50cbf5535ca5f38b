import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFakeLlm } from '@canopy/testing';
import { main } from '../src/main';
import type { Io } from '../src/io';

const examples = resolve(__dirname, '../../../examples');

function harness() {
  const out: string[] = [];
  const err: string[] = [];
  const bytes: Uint8Array[] = [];
  const io: Io = {
    out: (t) => out.push(t),
    outBytes: (b) => bytes.push(b),
    err: (t) => err.push(t),
    readFile: (p) => readFileSync(p, 'utf8'),
    writeFile: (p, t) => writeFileSync(p, t),
    color: false,
  };
  return {
    io,
    out: () => out.join(''),
    err: () => err.join(''),
    bytes: () => Buffer.concat(bytes),
  };
}

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'canopy-cli-')), name);
  writeFileSync(path, text);
  return path;
}

describe('canopy check', () => {
  it('accepts every example', async () => {
    const h = harness();
    const files = ['robot-patrol.lisp', 'research-agent.lisp', 'team-players.lisp'].map((f) =>
      join(examples, f),
    );
    expect(await main(['check', ...files], h.io)).toBe(0);
    expect(h.err()).toBe('');
  });

  it('reports each error as file:line:column and exits 2', async () => {
    const file = tempFile('bad.lisp', '(tree "t"\n  (sequense\n    (success)))\n');
    const h = harness();
    expect(await main(['check', file], h.io)).toBe(2);
    expect(h.err()).toBe(`${file}:2:4: unknown node type 'sequense' (did you mean 'sequence'?)\n`);
  });

  it('resolves subtrees across the files it is given', async () => {
    const a = tempFile('a.lisp', '(tree "a" (subtree "b"))\n');
    const b = tempFile('b.lisp', '(tree "b" (success))\n');
    expect(await main(['check', a, b], harness().io)).toBe(0);
    const h = harness();
    expect(await main(['check', a], h.io)).toBe(2);
    expect(h.err()).toBe(`${a}:1:20: unknown subtree 'b' (did you mean 'a'?)\n`);
  });

  it('names a missing file', async () => {
    const h = harness();
    expect(await main(['check', '/nonexistent/x.lisp'], h.io)).toBe(2);
    expect(h.err()).toContain('/nonexistent/x.lisp: cannot read file (ENOENT)');
  });
});

describe('canopy fmt', () => {
  it('prints canonical text, idempotently, and rewrites with --write', async () => {
    const file = tempFile('messy.lisp', '(tree "t"   (sequence (log "a")\n(success)  ))');
    const h = harness();
    expect(await main(['fmt', file], h.io)).toBe(0);
    const once = h.out();
    expect(once).toBe('(tree "t"\n  (sequence\n    (log "a")\n    (success)))\n');
    expect(await main(['fmt', file, '--write'], harness().io)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(once);
  });
});

describe('canopy run', () => {
  it('prints one JSON line per tick on the virtual clock', async () => {
    const file = tempFile(
      'w.lisp',
      '(tree "t" (sequence (set "n" (+ (get "n" 0) 1)) (wait :ms 250) (set "done" true)))',
    );
    const h = harness();
    expect(await main(['run', file, '--format', 'json', '--set', 'n=10'], h.io)).toBe(0);
    const lines = h
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.tick, l.status, l.time])).toEqual([
      [1, 'RUNNING', 0],
      [2, 'RUNNING', 100],
      [3, 'RUNNING', 200],
      [4, 'SUCCESS', 300],
    ]);
    expect(lines[0].blackboard).toEqual({ n: 11 });
    expect(lines[3].blackboard).toEqual({ n: 11, done: true });
  });

  it('gives external events to the ticks --event names, in order', async () => {
    const file = tempFile(
      'ev.lisp',
      '(tree "t" (sequence (set "got" (events)) (on-event "go" (set "go" (event "go")))))',
    );
    const h = harness();
    const argv = [
      'run',
      file,
      '--ticks',
      '3',
      '--format',
      'json',
      '--event',
      '2:go={"n":1}',
      '--event',
      '2:note=hi',
      '--event',
      '3:other',
    ];
    expect(await main(argv, h.io)).toBe(0);
    const lines = h
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.events)).toEqual([
      undefined,
      [
        { name: 'go', payload: { n: 1 }, at: 100 },
        { name: 'note', payload: 'hi', at: 100 },
      ],
      [{ name: 'other', payload: null, at: 200 }],
    ]);
    expect(lines[1].blackboard).toEqual({ got: lines[1].events, go: { n: 1 } });
    expect(lines[2].blackboard).toMatchObject({ go: { n: 1 } });
    const bad = harness();
    expect(await main(['run', file, '--event', 'go'], bad.io)).toBe(2);
  });

  it('runs a fixed number of ticks with --ticks and --tick-ms', async () => {
    const file = tempFile('r.lisp', '(tree "t" (running))');
    const h = harness();
    expect(
      await main(['run', file, '--ticks', '3', '--tick-ms', '50', '--format', 'json'], h.io),
    ).toBe(0);
    expect(
      h
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).time),
    ).toEqual([0, 50, 100]);
  });

  it('shows nodes stuck past their :stuck-after, once per episode, on the virtual clock', async () => {
    const file = tempFile(
      's.lisp',
      '(tree "t" (selector (wait :ms 100000 :id "w" :stuck-after 250) (success)))',
    );
    const json = harness();
    expect(await main(['run', file, '--ticks', '6', '--format', 'json'], json.io)).toBe(0);
    const lines = json
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // Ticks at 0, 100, ... ms: the wait started at tick 1 and is 300 ms old at tick 4.
    expect(lines.map((l) => l.stuck)).toEqual([
      undefined,
      undefined,
      undefined,
      [{ nodeId: 'w', runningSinceTick: 1, runningForMs: 300, budgetMs: 250, action: 'report' }],
      undefined,
      undefined,
    ]);
    const pretty = harness();
    expect(await main(['run', file, '--ticks', '6'], pretty.io)).toBe(0);
    expect(pretty.out()).toContain(
      'tick 4  RUNNING  t=300ms  (no node changed)\n  stuck [w] running 300 ms since tick 1 (budget 250 ms)\n',
    );
  });

  it('loads async actions from a module', async () => {
    const h = harness();
    const code = await main(
      [
        'run',
        join(examples, 'research-agent.lisp'),
        '--actions',
        join(examples, 'actions.js'),
        '--format',
        'json',
      ],
      h.io,
    );
    expect(code).toBe(0);
    const last = JSON.parse(h.out().trim().split('\n').pop() ?? '{}');
    expect(last.status).toBe('SUCCESS');
    expect(last.blackboard.answered).toBe(2);
  });

  it('an action module may answer {status, output}: :into writes it in the tick that sees it', async () => {
    const file = tempFile('o.lisp', '(tree "t" (sequence (action lookup :q "door" :into "found") (log "found" $found)))');
    const actions = tempFile('o.js', "module.exports = { lookup: async ({ q }) => ({ status: 'SUCCESS', output: { at: q } }) };");
    const h = harness();
    expect(await main(['run', file, '--actions', actions, '--format', 'json'], h.io)).toBe(0);
    const ticks = h.out().trim().split('\n').map((l) => JSON.parse(l));
    expect(ticks.map((t) => t.status)).toEqual(['RUNNING', 'SUCCESS']);
    expect(ticks[1].writes).toEqual([{ key: 'found', scope: 'exec', new: { at: 'door' } }]);
    expect(ticks[1].logs).toEqual([expect.objectContaining({ message: 'found', values: [{ at: 'door' }] })]);
  });

  it('llm-call streams from the provider the environment names (a server speaking the OpenAI wire format)', async () => {
    const server = await startFakeLlm('openai');
    server.reply = ['Blue', ' sky'];
    const saved = { ...process.env };
    Object.assign(process.env, { CANOPY_LLM_PROVIDER: 'openai', CANOPY_LLM_MODEL: 'tiny', OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test' });
    try {
      const file = tempFile('l.lisp', '(tree "t" (llm-call :prompt "Sky colour?" :into "answer"))');
      const h = harness();
      expect(await main(['run', file, '--format', 'json'], h.io)).toBe(0);
      const last = JSON.parse(h.out().trim().split('\n').pop() ?? '{}');
      expect(last.status).toBe('SUCCESS');
      expect(last.blackboard.answer).toBe('Blue sky');
      expect(server.requests[0]).toMatchObject({ model: 'tiny', messages: [{ role: 'user', content: 'Sky colour?' }] });
      // A provider the CLI does not know is a usage error naming the variable.
      process.env.CANOPY_LLM_PROVIDER = 'gemini';
      const bad = harness();
      expect(await main(['run', file], bad.io)).toBe(2);
      expect(bad.err()).toContain('CANOPY_LLM_PROVIDER must be openai or anthropic, not "gemini"');
    } finally {
      process.env = saved;
      await server.close();
    }
  });

  it('draws the tree with statuses in pretty format', async () => {
    const file = tempFile('p.lisp', '(tree "t" (sequence :name "main" (success) (running)))');
    const h = harness();
    expect(await main(['run', file, '--ticks', '1'], h.io)).toBe(0);
    expect(h.out()).toBe(
      'blackboard {}\n' +
        'tick 1  RUNNING  t=0ms\n' +
        '▶ sequence "main" [0] RUNNING\n' +
        '├─ ✓ success [0.0] SUCCESS\n' +
        '└─ ▶ running [0.1] RUNNING\n',
    );
  });

  it('exits 1 when the tree reports runtime errors', async () => {
    const file = tempFile('e.lisp', '(tree "t" (condition (< nil 1)))');
    const h = harness();
    expect(await main(['run', file, '--format', 'json'], h.io)).toBe(1);
    expect(JSON.parse(h.out()).errors[0]).toMatchObject({ nodeId: '0', code: 'EXPR_TYPE' });
  });

  it('rejects bad usage with exit 2', async () => {
    const file = tempFile('u.lisp', '(tree "t" (success))');
    for (const argv of [
      ['run', file, '--ticks', '0'],
      ['run', file, '--format', 'xml'],
      ['run', file, '--ticks', '2', '--until-done'],
      ['run', file, '--set', 'novalue'],
      ['run', file, '--bogus', '1'],
      ['launch'],
    ]) {
      const h = harness();
      expect(await main(argv, h.io)).toBe(2);
      expect(h.err()).toMatch(/^canopy: /);
    }
  });
});

describe('canopy viz', () => {
  const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const source =
    '(tree "main" (sequence :name "go" (subtree "helper")))\n(tree "helper" (wait :ms 5))\n';

  it('prints DOT with one box per node of the main tree, or of --tree', async () => {
    const file = tempFile('v.lisp', source);
    const h = harness();
    expect(await main(['viz', file, '--format', 'dot'], h.io)).toBe(0);
    const dot = h.out();
    expect(dot).toMatch(/^digraph "canopy" \{/);
    expect(dot).toContain('label="main"');
    expect(dot.match(/\[id="node:/g)).toHaveLength(3); // sequence, subtree, the helper's wait
    expect(dot).toContain('<b>sequence</b><br/>go<br/>');

    const helper = harness();
    expect(await main(['viz', file, '--tree', 'helper', '--format', 'dot'], helper.io)).toBe(0);
    expect(helper.out().match(/\[id="node:/g)).toHaveLength(1);
  });

  it('writes SVG by default and PNG by the extension of --out', async () => {
    const file = tempFile('v.lisp', source);
    const h = harness();
    expect(await main(['viz', file], h.io)).toBe(0);
    expect(h.out()).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*id="node:0"/);

    const png = join(mkdtempSync(join(tmpdir(), 'canopy-viz-')), 'tree.png');
    expect(await main(['viz', file, '--out', png], harness().io)).toBe(0);
    expect(readFileSync(png).subarray(0, 8).equals(PNG)).toBe(true);

    const piped = harness();
    expect(await main(['viz', file, '--format', 'png'], piped.io)).toBe(0);
    expect(piped.bytes().subarray(0, 8).equals(PNG)).toBe(true);
  });

  it('rejects a bad format, an unknown tree and a broken file', async () => {
    const file = tempFile('v.lisp', source);
    const bad = harness();
    expect(await main(['viz', file, '--format', 'gif'], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/^canopy: --format must be dot, svg or png, got 'gif'/);

    const unknown = harness();
    expect(await main(['viz', file, '--tree', 'nope'], unknown.io)).toBe(2);
    expect(unknown.err()).toContain("no tree named 'nope'");

    const broken = harness();
    expect(await main(['viz', tempFile('b.lisp', '(tree "t" (sequense))')], broken.io)).toBe(2);
    expect(broken.err()).toContain("unknown node type 'sequense'");
  });
});

describe('canopy push / tail / dev usage', () => {
  it('rejects bad options with exit 2 before calling any gateway', async () => {
    const file = tempFile('d.lisp', '(tree "t" (success))');
    for (const [argv, message] of [
      [['push'], 'push needs at least one FILE'],
      [['push', file, '--gateway', 'ftp://x'], "--gateway must be an http(s) URL, got 'ftp://x'"],
      [['tail'], 'tail takes exactly one execution ID'],
      [['tail', 'x', '--events', 'node_update,bogus'], "--events: unknown event type 'bogus'"],
      [['tail', 'x', '--format', 'xml'], "--format must be json or pretty, got 'xml'"],
      [
        ['dev', file, '--policy', 'later'],
        '--policy must be one of let-finish-then-swap, cancel-and-restart, swap-now',
      ],
      [['dev', file, '--mode', 'sometimes'], '--mode must be one of manual, auto, interval, event'],
      [
        ['dev', file, '--mode', 'manual', '--interval-ms', '5'],
        '--interval-ms goes with --mode interval',
      ],
    ] as const) {
      const h = harness();
      expect(await main([...argv], h.io)).toBe(2);
      expect(h.err()).toMatch(
        new RegExp(`^canopy: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
    }
  });
});
