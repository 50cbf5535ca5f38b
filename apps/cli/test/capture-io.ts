import { readFileSync, writeFileSync } from 'node:fs';
import type { Io } from '../src/io';

/** The CLI's io with its output captured, files read and written for real, no colour. */
export function captureIo(input?: Io['input']) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (t) => out.push(t),
    outBytes: () => undefined,
    err: (t) => err.push(t),
    readFile: (p) => readFileSync(p, 'utf8'),
    writeFile: (p, t) => writeFileSync(p, t),
    color: false,
    ...(input === undefined ? {} : { input }),
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}
