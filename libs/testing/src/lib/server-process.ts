import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { pollUntil } from './poll';

export interface ServerSpec {
  /** Name used in errors, e.g. `nats-server`. */
  label: string;
  binary: string;
  args: string[];
  /** Variables added to the server's environment. */
  env?: Record<string, string>;
  /** Private temp dir: holds the pid file and the log, and is removed on dispose. */
  dir: string;
  /** Resolves true once the server serves requests. */
  isReady: () => Promise<boolean>;
  startTimeoutMs: number;
  /** How long SIGTERM gets before SIGKILL. */
  stopTimeoutMs?: number;
}

// Runs beside each server for the life of its handle. Its stdin is a pipe from this process, so
// it reads EOF when the test process ends for any reason (normal exit, crash, SIGKILL), then kills
// whatever server the pid file names and removes the temp dir. Jest runs tests against a copy of
// `process` whose 'exit' event never fires, so an in-process exit hook would not be enough.
const WATCHDOG_SCRIPT =
  'read _; pid=$(cat "$1/server.pid" 2>/dev/null) && kill -KILL "$pid" 2>/dev/null; sleep 0.2; rm -rf "$1"';

/** One server binary: spawned on demand, awaited until ready, stopped gracefully. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly watchdog: ChildProcess;

  constructor(private readonly spec: ServerSpec) {
    this.watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'canopy-watchdog', spec.dir], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.watchdog.unref();
    if (this.watchdog.stdin instanceof Socket) this.watchdog.stdin.unref();
  }

  private get pidFile(): string {
    return join(this.spec.dir, 'server.pid');
  }

  private get logFile(): string {
    return join(this.spec.dir, 'server.log');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const { label, binary, args } = this.spec;
    const log = openSync(this.logFile, 'a');
    const env = this.spec.env ? { ...process.env, ...this.spec.env } : undefined;
    const child = spawn(binary, args, { stdio: ['ignore', log, log], env });
    closeSync(log);
    // Tests that forget to stop a server must not keep Jest alive; the watchdog cleans up.
    child.unref();
    this.child = child;

    let failure: string | undefined;
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        failure = error.message;
        resolve();
      });
      child.once('exit', (code, signal) => {
        failure = `exit code ${code ?? 'none'}, signal ${signal ?? 'none'}`;
        resolve();
      });
    });
    if (child.pid !== undefined) writeFileSync(this.pidFile, String(child.pid));

    try {
      await pollUntil(label, this.spec.isReady, {
        timeoutMs: this.spec.startTimeoutMs,
        abort: () =>
          failure === undefined
            ? undefined
            : new Error(
                `${label} exited during startup (${failure}). Log tail:\n${this.logTail()}`,
              ),
      });
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    child.kill('SIGTERM');
    const escalate = setTimeout(() => child.kill('SIGKILL'), this.spec.stopTimeoutMs ?? 5000);
    await this.exited;
    clearTimeout(escalate);
    rmSync(this.pidFile, { force: true });
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.watchdog.kill('SIGTERM');
    rmSync(this.spec.dir, { recursive: true, force: true });
  }

  /** The last lines the server logged, for error messages. */
  logTail(lines = 15): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
