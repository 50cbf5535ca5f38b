import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_ADMIN_KEY, waitFor } from '@canopy/testing';
import { main } from '../src/main';
import type { Io } from '../src/io';

// The CLI reads its credentials from CANOPY_API_KEY, as a user's shell would give them: the stacks
// the tests start accept TEST_ADMIN_KEY (spawned CLIs inherit it too).
process.env.CANOPY_API_KEY = TEST_ADMIN_KEY;

/**
 * `main()` with its output captured and a stop button: the long-running commands (`run --watch`,
 * `tail`, `dev`) end when `stop()` aborts the signal, as Ctrl-C does for a user.
 */
const running = new Set<{ controller: AbortController; exit: Promise<number> }>();

/** Stops every CLI a test started and left running (it failed before its own stop). */
export async function stopAllClis(): Promise<void> {
  const left = [...running];
  for (const { controller } of left) controller.abort();
  await Promise.allSettled(left.map((e) => e.exit));
}

export function startCli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const controller = new AbortController();
  const io: Io = {
    out: (t) => out.push(t),
    outBytes: () => undefined,
    err: (t) => err.push(t),
    readFile: (p) => readFileSync(p, 'utf8'),
    writeFile: (p, t) => writeFileSync(p, t),
    color: false,
    signal: controller.signal,
  };
  const exit = main(argv, io);
  const entry = { controller, exit };
  running.add(entry);
  const forget = () => running.delete(entry);
  exit.then(forget, forget);
  const text = { out: () => out.join(''), err: () => err.join('') };
  let outMark = 0;
  let errMark = 0;
  return {
    exit,
    ...text,
    stop: () => {
      controller.abort();
      return exit;
    },
    /** Waits until stdout, after what earlier waits consumed, matches; returns the text up to the match's end. */
    nextOut: (pattern: RegExp, what = String(pattern)) =>
      next(
        text.out,
        () => outMark,
        (m) => (outMark = m),
        pattern,
        what,
      ),
    nextErr: (pattern: RegExp, what = String(pattern)) =>
      next(
        text.err,
        () => errMark,
        (m) => (errMark = m),
        pattern,
        what,
      ),
  };
}

async function next(
  read: () => string,
  mark: () => number,
  setMark: (m: number) => void,
  pattern: RegExp,
  what: string,
): Promise<string> {
  try {
    return await waitFor(
      `output ${what}`,
      () => {
        const rest = read().slice(mark());
        const match = pattern.exec(rest);
        if (!match) return undefined;
        const end = match.index + match[0].length;
        setMark(mark() + end);
        return rest.slice(0, end);
      },
      20_000,
    );
  } catch (error) {
    // What the command did say is what explains the failure.
    throw new Error(
      `${(error as Error).message}; the output after the last match:\n${read().slice(mark())}`,
    );
  }
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'canopy-cli-'));
}

const BIN = resolve(__dirname, '../bin/canopy.js');

/** The real `canopy` process, for what only a process has (signals, its own module cache). */
export function spawnCli(argv: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...argv], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let outMark = 0;
  let errMark = 0;
  return {
    out: () => out,
    err: () => err,
    exited,
    /** Ctrl-C, then the exit code. */
    interrupt: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
    nextOut: (pattern: RegExp) =>
      next(
        () => out,
        () => outMark,
        (m) => (outMark = m),
        pattern,
        String(pattern),
      ),
    nextErr: (pattern: RegExp) =>
      next(
        () => err,
        () => errMark,
        (m) => (errMark = m),
        pattern,
        String(pattern),
      ),
  };
}
