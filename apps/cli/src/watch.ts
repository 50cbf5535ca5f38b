import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export interface WatchOptions {
  /** Quiet time after the last event of a burst before it counts as one save. */
  debounceMs?: number;
  /** A directory watch failed (the directory was removed, too many watches). */
  onError?: (error: Error) => void;
}

/** Editors write a save in several steps (truncate, write, rename): this is one burst. */
export const DEFAULT_DEBOUNCE_MS = 60;

/**
 * Calls `onChange` once per burst of events on `files` (with the paths as given), `debounceMs`
 * after the last one. It watches each file's directory, not the file: an editor that saves by
 * writing a new file and renaming it over the old one (vim, JetBrains IDEs, many others) replaces
 * the inode a file watch is bound to, so a file watch goes deaf after the first such save, while
 * the directory sees the name come back and keeps reporting it.
 */
export function watchFiles(
  files: readonly string[],
  onChange: (changed: string[]) => void,
  options: WatchOptions = {},
): { close(): void } {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const byDir = new Map<string, Map<string, string>>();
  for (const file of files) {
    const dir = dirname(resolve(file));
    const names = byDir.get(dir) ?? new Map<string, string>();
    names.set(basename(file), file);
    byDir.set(dir, names);
  }
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const list = [...changed];
    changed.clear();
    onChange(list);
  };
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    const watcher = watch(dir, { persistent: true }, (_event, filename) => {
      // Some platforms give no name: then any of the files may have changed.
      const hits = filename ? [names.get(filename.toString())] : [...names.values()];
      let hit = false;
      for (const file of hits) {
        if (file === undefined) continue;
        changed.add(file);
        hit = true;
      }
      if (!hit) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(flush, debounceMs);
    });
    watcher.on('error', (error) => options.onError?.(error));
    watchers.push(watcher);
  }
  return {
    close: () => {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}

export interface SaveLoopOptions extends WatchOptions {
  files: readonly string[];
  /** Ends the loop (after the job under way returns). */
  signal: AbortSignal;
  /** Run the job once before any save. */
  initial: boolean;
}

/**
 * Runs `job` (first at once when `initial`), then again after each save of the files, one at a
 * time, until `signal` aborts. Saves during a job are gathered into the next run; the job's own
 * signal aborts when such a save comes (or the loop stops), so a long run can give way.
 */
export async function saveLoop(
  options: SaveLoopOptions,
  job: (changed: string[], cancel: AbortSignal) => Promise<void>,
): Promise<void> {
  const { signal } = options;
  const pending: string[] = [];
  let current: AbortController | undefined;
  let wake: (() => void) | undefined;
  const watcher = watchFiles(
    options.files,
    (changed) => {
      pending.push(...changed);
      current?.abort();
      wake?.();
    },
    options,
  );
  const onStop = () => wake?.();
  signal.addEventListener('abort', onStop);
  try {
    let first = options.initial;
    while (!signal.aborted) {
      if (!first && pending.length === 0) {
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      const changed = [...new Set(pending.splice(0))];
      first = false;
      current = new AbortController();
      await job(changed, AbortSignal.any([signal, current.signal]));
      current = undefined;
    }
  } finally {
    signal.removeEventListener('abort', onStop);
    watcher.close();
  }
}
