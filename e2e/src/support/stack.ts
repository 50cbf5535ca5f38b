import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort, startTestInfra, type TestInfra } from '@canopy/testing';
import { makeLogDir, REPO_ROOT, type ServiceApp, ServiceProcess } from './service-process';

export interface StackOptions {
  /** How many tick-runner processes (`runner-1`, `runner-2`, ...). Default 1. */
  runners?: number;
  /** Extra variables per app. */
  env?: Partial<Record<ServiceApp, Record<string, string>>>;
  /** Per service, for `/readyz`. Default 90 s (TypeScript is compiled on start; the machine may be busy). */
  readyTimeoutMs?: number;
}

export interface Stack {
  infra: TestInfra;
  gateway: ServiceProcess;
  blackboard: ServiceProcess;
  runners: ServiceProcess[];
  /** Present when apps/history has a main.ts. */
  history?: ServiceProcess;
  all(): ServiceProcess[];
  /** Stops every service still running (SIGTERM, then SIGKILL), then NATS and Redis. Idempotent. */
  dispose(): Promise<void>;
}

export const runnerId = (i: number) => `e2e-runner-${i}`;

/** True when the history service exists in this checkout (it is started, not tested, here). */
export const hasHistory = () => existsSync(join(REPO_ROOT, 'apps/history/src/main.ts'));

/**
 * Real nats-server and redis-server on free ports, then every service as its own process on a free
 * port, each awaited on `/readyz`. On any failure everything started so far is stopped.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const infra = await startTestInfra();
  const logs = makeLogDir('e2e-logs');
  const services: ServiceProcess[] = [];
  let disposed: Promise<void> | undefined;
  const dispose = () =>
    (disposed ??= (async () => {
      // Gateway first (no new work), then runners (they hand over and drain), brokers last.
      const order = [...services].reverse();
      await Promise.allSettled(order.map((s) => s.stop()));
      await infra.dispose();
      if (!process.env.E2E_KEEP_LOGS) logs.remove();
    })());

  try {
    const common = { NATS_URL: infra.nats.url, REDIS_URL: infra.redis.url, LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info' };
    const start = async (name: string, app: ServiceApp, env: Record<string, string> = {}) => {
      const service = new ServiceProcess(
        { name, app, port: await getFreePort(), env: { ...common, ...opts.env?.[app], ...env } },
        logs.dir,
      );
      services.push(service);
      return service;
    };
    const blackboard = await start('blackboard', 'blackboard');
    const runners: ServiceProcess[] = [];
    for (let i = 1; i <= (opts.runners ?? 1); i++) {
      runners.push(await start(`runner-${i}`, 'tick-runner', { RUNNER_ID: runnerId(i) }));
    }
    const gateway = await start('gateway', 'gateway');
    const history = hasHistory() ? await start('history', 'history') : undefined;
    const timeout = opts.readyTimeoutMs ?? 90_000;
    await Promise.all(services.map((s) => s.waitReady(timeout)));
    return { infra, gateway, blackboard, runners, history, all: () => [...services], dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
