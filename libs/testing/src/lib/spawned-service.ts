import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type Exit, REPO_ROOT } from './service-process';

/**
 * A process started from any entry file whose JSON log lines a test reads as they come (where
 * ServiceProcess, for the stack's services, waits on /readyz and keeps logs in a file): stop
 * deadlines, boot failures, fixtures.
 */
export type LogLine = Record<string, unknown> & { msg?: string };

export interface SpawnedService {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  lines(): LogLine[];
  /** Resolves with the first log line (so far or later) that matches; rejects if the process exits first. */
  line(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** SIGKILL if still running (test cleanup). */
  kill(): void;
}

/** `node -r @swc-node/register <entry>` from the repository root, with `env` over a clean environment. */
export function spawnService(entry: string, env: Record<string, string>): SpawnedService {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', entry], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  const exited = new Promise<Exit>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      const ready = waiters.filter((w) => w.match(line));
      waiters = waiters.filter((w) => !w.match(line));
      for (const w of ready) w.resolve(line);
    });
  }
  return {
    child,
    exited,
    lines: () => [...lines],
    line: (match) => {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then((exit) =>
          reject(
            new Error(
              `${entry} exited (${JSON.stringify(exit)}) first:\n` +
                lines.map((l) => JSON.stringify(l)).join('\n'),
            ),
          ),
        );
      });
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** The exit, or undefined if the process is still running after `ms`. */
export async function exitWithin(service: SpawnedService, ms: number): Promise<Exit | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>(
    (resolve) => (timer = setTimeout(() => resolve(undefined), ms)),
  );
  try {
    return await Promise.race([service.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}
