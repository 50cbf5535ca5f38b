import { readFileSync } from 'node:fs';

/** Where commands write; injectable so tests read what a user would see. */
export interface Io {
  out(text: string): void;
  /** Binary output (a PNG) to stdout. */
  outBytes(data: Uint8Array): void;
  err(text: string): void;
  readFile(path: string): string;
  writeFile(path: string, data: string | Uint8Array): void;
  color: boolean;
  /** stdout is a terminal: `run --watch` clears the screen before each run. */
  tty?: boolean;
  /**
   * Ends the long-running commands (`run --watch`, `tail`, `dev`). Tests pass their own; without
   * one, those commands stop on SIGINT/SIGTERM (see {@link stopSignal}).
   */
  signal?: AbortSignal;
  /** Where `debug` reads its commands from without `--commands` (stdin). */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export class FileReadError extends Error {}

/** An output file that cannot be written (`--out /no/dir/x.png`): bad usage, exit 2. */
export class FileWriteError extends Error {}

/** `io.writeFile`, with a failure said in words (`no such directory`), not a raw ENOENT. */
export function writeOutput(io: Io, path: string, data: string | Uint8Array): void {
  try {
    io.writeFile(path, data);
  } catch (error) {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    const reason =
      code === 'ENOENT'
        ? 'its directory does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : String(code ?? error);
    throw new FileWriteError(`cannot write ${path}: ${reason}`);
  }
}

export function readSource(io: Io, file: string): string {
  try {
    return io.readFile(file);
  } catch (error) {
    // Jest and vm contexts have their own Error class, so check the shape, not instanceof.
    const code =
      typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    const reason = typeof code === 'string' ? code : String(error);
    throw new FileReadError(`${file}: cannot read file (${reason})`);
  }
}

/** A file's text; `-` is stdin (fd 0), read to its end. */
export const readUtf8 = (path: string): string => readFileSync(path === '-' ? 0 : path, 'utf8');

/**
 * The signal that ends a long-running command: `io.signal` when given, else Ctrl-C or SIGTERM.
 * The handlers are installed only for those commands and only once, so a second Ctrl-C while
 * the command winds down kills the process as usual.
 */
export function stopSignal(io: Io): { signal: AbortSignal; dispose(): void } {
  if (io.signal) return { signal: io.signal, dispose: () => undefined };
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
