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

export interface SigtermWithBrokersDownOptions {
  /** The service's entry file, relative to the repository root. */
  entry: string;
  env: Record<string, string>;
  /** The log message that says the service is up. */
  ready: string;
  /** Each broker to stop first, with the log message that says the service noticed. */
  down: [broker: { stop(): Promise<void> }, noticed: string][];
  shutdownTimeoutMs: number;
  /** Process start-up and exit around the deadline. Default 5 s: the bound under test is the deadline. */
  marginMs?: number;
}

/**
 * Starts a service with SHUTDOWN_TIMEOUT_MS set, stops its brokers, waits until it noticed, sends
 * SIGTERM, and returns how it exited (undefined: still running after the deadline plus the
 * margin; it is killed then). What every service's "stops with the brokers down" test does.
 */
export async function sigtermWithBrokersDown(
  opts: SigtermWithBrokersDownOptions,
): Promise<{ exit: Exit | undefined; service: SpawnedService }> {
  const service = spawnService(opts.entry, {
    PORT: '0',
    LOG_LEVEL: 'info',
    ...opts.env,
    SHUTDOWN_TIMEOUT_MS: String(opts.shutdownTimeoutMs),
  });
  try {
    await service.line((l) => l.msg === opts.ready);
    const noticed = opts.down.map(([, msg]) => service.line((l) => l.msg === msg));
    await Promise.all(opts.down.map(([broker]) => broker.stop()));
    await Promise.all(noticed);
    service.child.kill('SIGTERM');
    return {
      exit: await exitWithin(service, opts.shutdownTimeoutMs + (opts.marginMs ?? 5000)),
      service,
    };
  } finally {
    service.kill();
  }
}
