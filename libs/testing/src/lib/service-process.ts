import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { GATEWAY_AUTH_ENV } from './auth';

/**
 * The repository root: services are started from here, the way `npm start` starts them. This lib
 * spawns apps by path and never imports them, so no project depends on an app.
 */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');

export type ServiceApp = 'gateway' | 'tick-runner' | 'blackboard' | 'history';

export interface ServiceSpec {
  /** Unique label (`runner-1`), used in errors and as the log file's name. */
  name: string;
  app: ServiceApp;
  port: number;
  env: Record<string, string>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// Kills the service if the test process goes away without stopping it (a crash, a SIGKILL, a Jest
// worker torn down): its stdin is a pipe from this process, so it reads EOF then.
const WATCHDOG_SCRIPT = 'read _; kill -KILL "$1" 2>/dev/null';

/** Variables of the caller that must not leak into a service (it would export or connect elsewhere). */
const SCRUBBED_ENV = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'NATS_URL',
  'REDIS_URL',
  'PORT',
  'RUNNER_ID',
  'NODE_OPTIONS',
  'HOST',
  'NATS_USER',
  'NATS_PASSWORD',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'CANOPY_AUTH',
  'CANOPY_ADMIN_KEY',
];

/**
 * One service as its own Node process: `node -r @swc-node/register apps/<app>/src/main.ts` on a
 * fixed port with a fixed environment, so it can be stopped, killed and started again as the same
 * service. Logs of every run go to one file; readiness is `/readyz` answering 200.
 */
export class ServiceProcess {
  readonly url: string;
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private watchdog: ChildProcess | undefined;
  private exitOf: Promise<Exit> = Promise.resolve({ code: 0, signal: null });
  private exit: Exit | undefined;
  private runs = 0;

  constructor(
    readonly spec: ServiceSpec,
    private readonly logDir: string,
    /** `dispose()` removes `logDir` too (unless CANOPY_KEEP_LOGS is set). */
    private readonly ownsLogDir = false,
  ) {
    this.url = `http://127.0.0.1:${spec.port}`;
    this.logFile = join(logDir, `${spec.name}.log`);
  }

  get name(): string {
    return this.spec.name;
  }

  /** The pid of the current run (undefined before the first start). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exit === undefined;
  }

  /** How many times the process was started. */
  get starts(): number {
    return this.runs;
  }

  /** Resolves when the current run exits. */
  get exited(): Promise<Exit> {
    return this.exitOf;
  }

  /** Spawns the process (not waiting for readiness: see `waitReady`). A running service is left alone. */
  start(): void {
    if (this.running) return;
    this.runs++;
    this.exit = undefined;
    const env: Record<string, string | undefined> = { ...process.env };
    for (const name of SCRUBBED_ENV) delete env[name];
    if (this.runs > 1)
      appendFileSync(this.logFile, `\n----- ${this.spec.name}: start #${this.runs} -----\n`);
    const log = openSync(this.logFile, 'a');
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', `apps/${this.spec.app}/src/main.ts`],
      {
        cwd: REPO_ROOT,
        // A gateway runs with auth on and accepts TEST_ADMIN_KEY unless the spec says otherwise.
        env: {
          ...env,
          ...(this.spec.app === 'gateway' ? GATEWAY_AUTH_ENV : {}),
          ...this.spec.env,
          PORT: String(this.spec.port),
        },
        stdio: ['ignore', log, log],
      },
    );
    closeSync(log);
    this.child = child;
    this.exitOf = new Promise((done) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.watchdog?.kill('SIGTERM');
        done(this.exit);
      });
      child.once('error', () => {
        this.exit = { code: -1, signal: null };
        done(this.exit);
      });
    });
    const watchdog = spawn(
      '/bin/sh',
      ['-c', WATCHDOG_SCRIPT, 'canopy-service-watchdog', String(child.pid ?? 0)],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    watchdog.unref();
    if (watchdog.stdin instanceof Socket) watchdog.stdin.unref();
    this.watchdog = watchdog;
    // A service still running must not keep Jest (or a script) alive.
    child.unref();
  }

  /** Resolves once GET /readyz answers 200; rejects (with the log tail) if the process exits or the deadline passes. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exit) {
        throw new Error(
          `${this.spec.name} exited while starting (${describeExit(this.exit)}):\n${this.logTail()}`,
        );
      }
      if (await this.probe('/readyz')) return;
      if (Date.now() > deadline) {
        throw new Error(
          `${this.spec.name} was not ready within ${timeoutMs} ms:\n${this.logTail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** True when GET `path` answers 200. */
  async probe(path: string): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /**
   * Sends `signal` (SIGTERM: the service's graceful shutdown) and waits for the exit; SIGKILL after
   * `graceMs`, which then shows in the returned exit's signal.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<Exit> {
    const child = this.child;
    if (!child || this.exit) return this.exit ?? { code: 0, signal: null };
    child.kill(signal);
    const escalate =
      signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), graceMs);
    const exit = await this.exitOf;
    clearTimeout(escalate);
    return exit;
  }

  /** kill -9: no shutdown hooks run, nothing is handed over. */
  kill(): Promise<Exit> {
    return this.stop('SIGKILL');
  }

  /** Stops the service if it runs (SIGTERM), then starts it again on the same port with the same env. */
  async restart(readyTimeoutMs = 90_000): Promise<void> {
    await this.stop();
    this.start();
    await this.waitReady(readyTimeoutMs);
  }

  /** Stops the service and removes its log dir when it owns one. */
  async dispose(): Promise<Exit> {
    const exit = await this.stop();
    if (this.ownsLogDir && !process.env.CANOPY_KEEP_LOGS)
      rmSync(this.logDir, { recursive: true, force: true });
    return exit;
  }

  /** Everything the service wrote to stdout and stderr so far (all runs). */
  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  logTail(lines = 30): string {
    return this.log().trimEnd().split('\n').slice(-lines).join('\n') || '(no log)';
  }
}

export function describeExit(exit: Exit): string {
  return `exit code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'}`;
}
