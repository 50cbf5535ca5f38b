import { relative } from 'node:path';
import { Io, stopSignal } from '../io';
import { paint } from '../terminal';
import { saveLoop } from '../watch';
import { RunOptions, runOnce, RunOutcome } from './run';

/** Clears the screen and its scrollback, cursor home: each run starts on a clean terminal. */
const CLEAR = '\x1b[2J\x1b[3J\x1b[H';

/**
 * `canopy run FILE --watch`: the run, then again after each save of FILE (or of `--actions`).
 * A save during a run cuts it short. A file that does not compile prints its errors and waits
 * for the next save. Notices go to stderr, so stdout stays the runs' output (JSON lines with
 * `--format json`). Ends on Ctrl-C (or `io.signal`) with 0.
 */
export async function watchRuns(options: RunOptions, io: Io): Promise<number> {
  const files = options.actions === undefined ? [options.file] : [options.file, options.actions];
  const stop = stopSignal(io);
  let runs = 0;
  try {
    await saveLoop(
      {
        files,
        signal: stop.signal,
        initial: true,
        onError: (e) => io.err(`canopy: watch: ${e.message}\n`),
      },
      async (changed, cancel) => {
        runs++;
        if (io.tty) io.out(CLEAR);
        const why = changed.length === 0 ? 'start' : `saved ${changed.map(shown).join(', ')}`;
        io.err(paint(io.color, 'dim', `── run ${runs} · ${why} · ${clock()} ──\n`));
        let outcome: RunOutcome;
        try {
          // A saved actions module is read again; so is it on every run, for a fresh module state.
          outcome = await runOnce({ ...options, freshActions: runs > 1 }, io, cancel);
        } catch (error) {
          io.err(`${error instanceof Error ? error.message : String(error)}\n`);
          outcome = { code: 2 };
        }
        if (!stop.signal.aborted) io.err(summary(outcome, io.color, shown(options.file)));
      },
    );
  } finally {
    stop.dispose();
  }
  return 0;
}

function summary(outcome: RunOutcome, color: boolean, file: string): string {
  const waiting = `watching ${file} (Ctrl-C to stop)`;
  if (outcome.cancelled)
    return paint(color, 'dim', `── cut short at tick ${outcome.tick ?? 0} by a save ──\n`);
  if (outcome.status === undefined)
    return paint(color, 'red', `── not run; fix the file and save · ${waiting} ──\n`);
  const tone =
    outcome.code !== 0 || outcome.status === 'FAILURE'
      ? 'red'
      : outcome.status === 'SUCCESS'
        ? 'green'
        : 'yellow';
  const errors = outcome.code === 1 ? ' with runtime errors' : '';
  return paint(
    color,
    tone,
    `── ${outcome.status} at tick ${outcome.tick}${errors} · ${waiting} ──\n`,
  );
}

function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || rel === '' ? file : rel;
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}
