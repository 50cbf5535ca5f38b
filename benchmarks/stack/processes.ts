import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');

// Kills the service if the benchmark dies without stopping it: stdin is a pipe from this process.
const WATCHDOG_SCRIPT = 'read _; kill -KILL "$1" 2>/dev/null';
const SCRUBBED_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'NATS_URL', 'REDIS_URL', 'PORT', 'RUNNER_ID', 'NODE_OPTIONS'];

/** A service as its own process, started like `npm start` does: `node -r @swc-node/register apps/<app>/src/main.ts`. */
export class ServiceProcess {
  readonly url: string;
  private readonly child: ChildProcess;
  private readonly watchdog: ChildProcess;
  private readonly exited: Promise<void>;
  private done = false;

  constructor(
    readonly name: string,
    app: string,
    readonly port: number,
    env: Record<string, string>,
    private readonly logFile: string,
    nodeArgs: string[] = [],
  ) {
    this.url = `http://127.0.0.1:${port}`;
    const base: Record<string, string | undefined> = { ...process.env };
    for (const key of SCRUBBED_ENV) delete base[key];
    const log = openSync(logFile, 'a');
    this.child = spawn(process.execPath, [...nodeArgs, '-r', '@swc-node/register', `apps/${app}/src/main.ts`], {
      cwd: REPO_ROOT,
      env: { ...base, ...env, PORT: String(port) },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.exited = new Promise((done) => {
      this.child.once('exit', () => {
        this.done = true;
        done();
      });
      this.child.once('error', () => {
        this.done = true;
        done();
      });
    });
    this.watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'canopy-bench-watchdog', String(this.child.pid ?? 0)], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.watchdog.unref();
    if (this.watchdog.stdin instanceof Socket) this.watchdog.stdin.unref();
    this.child.unref();
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.done) throw new Error(`${this.name} exited while starting:\n${this.logTail()}`);
      try {
        const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(graceMs = 15_000): Promise<void> {
    if (!this.done) {
      this.child.kill('SIGTERM');
      const escalate = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(escalate);
    }
    this.watchdog.kill('SIGTERM');
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export function makeTempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `canopy-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** CPU time (ms, user + system) a process has used so far, from /proc (Linux); 0 when unreadable. */
export function cpuMs(pid: number): number {
  try {
    // Fields after the command name (which may contain spaces) start at ") ".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticksPerSecond = 100; // USER_HZ on Linux
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** The pid of the process whose command line contains every fragment (our nats-server and redis-server). */
export function findPid(fragments: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (fragments.every((f) => cmdline.includes(f))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
