import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@canopy/telemetry';

type Line = Record<string, unknown>;

/** A real service logger whose JSON lines a test can read back, or await. */
export function capturingLogger(service: string): {
  logger: Logger;
  lines: () => Line[];
  next: (match: (line: Line) => boolean) => Promise<Line>;
} {
  const lines: Line[] = [];
  let waiters: Array<{ match: (line: Line) => boolean; resolve: (line: Line) => void }> = [];
  const destination = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      const line = JSON.parse(chunk.toString()) as Line;
      lines.push(line);
      const ready = waiters.filter((w) => w.match(line));
      waiters = waiters.filter((w) => !w.match(line));
      ready.forEach((w) => w.resolve(line));
      done();
    },
  });
  return {
    logger: createLogger(service, { destination, level: 'debug' }),
    lines: () => [...lines],
    /** Resolves with the first line, logged from now on, that matches. */
    next: (match) => new Promise((resolve) => waiters.push({ match, resolve })),
  };
}
