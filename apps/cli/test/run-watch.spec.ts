import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, startCli, stopAllClis, tempDir } from './harness';

const counter = (n: number) => `(tree "t" (sequence (set "v" ${n}) (success)))\n`;
const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map(
      (l) => JSON.parse(l) as { tick: number; status: string; blackboard: Record<string, unknown> },
    );

describe('canopy run --watch', () => {
  afterEach(stopAllClis);

  it('runs at start and after each save; a bad save prints file:line:column and waits for the next', async () => {
    const file = join(tempDir(), 'w.lisp');
    writeFileSync(file, counter(1));
    const cli = startCli(['run', file, '--watch', '--format', 'json']);
    try {
      await cli.nextErr(/── SUCCESS at tick 1 · watching .*w\.lisp/);
      expect(jsonLines(await cli.nextOut(/\n/))).toEqual([
        expect.objectContaining({ tick: 1, status: 'SUCCESS', blackboard: { v: 1 } }),
      ]);

      writeFileSync(file, counter(2));
      expect(await cli.nextErr(/── run 2 · saved .*w\.lisp/)).toBeTruthy();
      await cli.nextErr(/── SUCCESS at tick 1/);
      expect(jsonLines(await cli.nextOut(/\n/))[0].blackboard).toEqual({ v: 2 });

      writeFileSync(file, '(tree "t"\n  (sequense\n    (success)))\n');
      const bad = await cli.nextErr(/── not run; fix the file and save/);
      expect(bad).toContain(
        `${file}:2:4: unknown node type 'sequense' (did you mean 'sequence'?)\n`,
      );

      writeFileSync(file, counter(3));
      await cli.nextErr(/── run 4 · saved/);
      await cli.nextErr(/── SUCCESS at tick 1/);
      expect(jsonLines(await cli.nextOut(/\n/))[0].blackboard).toEqual({ v: 3 });
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('keeps watching a file that an editor replaces by renaming a new file over it', async () => {
    const dir = tempDir();
    const file = join(dir, 'r.lisp');
    writeFileSync(file, counter(1));
    const cli = startCli(['run', file, '--watch', '--format', 'json']);
    try {
      await cli.nextErr(/watching/);
      for (const n of [2, 3]) {
        // What vim (backupcopy=no) and JetBrains IDEs do: write aside, rename over the original.
        const aside = join(dir, `.r.lisp.${n}.tmp`);
        writeFileSync(aside, counter(n));
        renameSync(aside, file);
        await cli.nextErr(new RegExp(`── run ${n} · saved`));
        await cli.nextErr(/watching/);
        expect(jsonLines(cli.out()).pop()?.blackboard).toEqual({ v: n });
      }
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('cuts a run short when the file is saved during it, and stops on the signal mid-run', async () => {
    const file = join(tempDir(), 'long.lisp');
    writeFileSync(file, '(tree "t" (running))\n');
    const cli = startCli(['run', file, '--watch', '--format', 'json', '--ticks', '1000000000']);
    await cli.nextOut(/"tick":2,/);
    writeFileSync(file, '(tree "t" (sequence (set "second" true) (running)))\n');
    await cli.nextErr(/── cut short at tick \d+ by a save ──/);
    await cli.nextErr(/── run 2 · saved/);
    await cli.nextOut(/"second":true/);
    // Ctrl-C during the second run, which would otherwise go on for a billion ticks.
    expect(await cli.stop()).toBe(0);
  });

  it('reruns when the actions module is saved, reading it again (the real binary, ended by SIGINT)', async () => {
    // Jest keeps its own module registry, so the module cache the CLI clears is only real in a process of its own.
    const dir = tempDir();
    const file = join(dir, 'a.lisp');
    const actions = join(dir, 'actions.js');
    writeFileSync(file, '(tree "t" (action "probe"))\n');
    writeFileSync(actions, 'module.exports = { probe: () => "SUCCESS" };\n');
    const cli = spawnCli(['run', file, '--watch', '--actions', actions, '--format', 'json']);
    try {
      await cli.nextErr(/── SUCCESS at tick 1/);
      writeFileSync(actions, 'module.exports = { probe: () => "FAILURE" };\n');
      await cli.nextErr(/── run 2 · saved .*actions\.js/);
      await cli.nextErr(/── FAILURE at tick 1/);
    } finally {
      expect(await cli.interrupt()).toBe(0);
    }
  }, 60_000);
});
