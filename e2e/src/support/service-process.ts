import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root: services are started the way `npm start` starts them, from here. */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export type ServiceApp = 'gateway' | 'tick-runner' | 'blackboard' | 'history';

export interface ServiceSpec {
  /** Unique label (`runner-1`), used in errors and log file names. */
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
const SCRUBBED_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'NATS_URL', 'REDIS_URL', 'PORT', 'RUNNER_ID', 'NODE_OPTIONS'];

/**
 * One service as its own Node process: `node -r @swc-node/register apps/<app>/src/main.ts`, logs in
 * a temp file, readiness by polling `/readyz`, SIGTERM (then SIGKILL) to stop.
 */
export class ServiceProcess {
  readonly url: string;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private readonly watchdog: ChildProcess;
  private readonly logFile: string;
  private exit: Exit | undefined;

  constructor(
    readonly spec: ServiceSpec,
    logDir: string,
  ) {
    this.url = `http://127.0.0.1:${spec.port}`;
    this.logFile = join(logDir, `${spec.name}.log`);
    const env: Record<string, string | undefined> = { ...process.env };
    for (const name of SCRUBBED_ENV) delete env[name];
    const log = openSync(this.logFile, 'a');
    this.child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', `apps/${spec.app}/src/main.ts`],
      { cwd: REPO_ROOT, env: { ...env, ...spec.env, PORT: String(spec.port) }, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    this.exited = new Promise((done) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        done(this.exit);
      });
      this.child.once('error', () => {
        this.exit = { code: -1, signal: null };
        done(this.exit);
      });
    });
    this.watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'canopy-e2e-watchdog', String(this.child.pid ?? 0)], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.watchdog.unref();
    if (this.watchdog.stdin instanceof Socket) this.watchdog.stdin.unref();
    // A service still running must not keep Jest (or the benchmark) alive.
    this.child.unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Resolves once GET /readyz answers 200; rejects (with the log tail) if the process exits or the deadline passes. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exit) {
        throw new Error(`${this.spec.name} exited while starting (${describeExit(this.exit)}):\n${this.logTail()}`);
      }
      if (await this.probe('/readyz')) return;
      if (Date.now() > deadline) {
        throw new Error(`${this.spec.name} was not ready within ${timeoutMs} ms:\n${this.logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async probe(path: string): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** Sends `signal` (SIGTERM: the service's graceful shutdown) and waits; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<Exit> {
    if (this.exit) return this.finish();
    this.child.kill(signal);
    const escalate = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(escalate);
    return this.finish();
  }

  private finish(): Exit {
    this.watchdog.kill('SIGTERM');
    return this.exit as Exit;
  }

  /** Everything the service wrote to stdout and stderr so far. */
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

export function makeLogDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `canopy-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
