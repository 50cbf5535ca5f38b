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
  /** Where `debug` reads its commands from without `--commands` (stdin). */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export class FileReadError extends Error {}

export function readSource(io: Io, file: string): string {
  try {
    return io.readFile(file);
  } catch (error) {
    // Jest and vm contexts have their own Error class, so check the shape, not instanceof.
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    const reason = typeof code === 'string' ? code : String(error);
    throw new FileReadError(`${file}: cannot read file (${reason})`);
  }
}

export const readUtf8 = (path: string): string => readFileSync(path, 'utf8');
