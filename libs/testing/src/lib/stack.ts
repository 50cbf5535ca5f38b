import { credentialsEnv } from './broker-users';
import { getFreePort } from './free-port';
import type { NatsServerOptions } from './nats-server';
import type { RedisServerOptions } from './redis-server';
import { type ServiceApp, ServiceProcess } from './service-process';
import { DEFAULT_READY_TIMEOUT_MS } from './start-service';
import { makeLogDir } from './temp-dir';
import { startTestInfra, type TestInfra } from './test-infra';

export interface StackOptions {
  /** How many tick-runner processes (`runner-1`, `runner-2`, ...). Default 1. */
  runners?: number;
  /** RUNNER_ID of runner `i` (from 1). Default `runner-<i>`. */
  runnerId?: (i: number) => string;
  /** Start the history service. Default true. */
  history?: boolean;
  /** Extra variables per app. */
  env?: Partial<Record<ServiceApp, Record<string, string>>>;
  /** LOG_LEVEL of every service. Default $CANOPY_TEST_LOG_LEVEL, then `info`. */
  logLevel?: string;
  /** NATS and Redis options, e.g. `{ redis: { appendonly: true } }`. */
  infra?: { nats?: NatsServerOptions; redis?: RedisServerOptions };
  /**
   * Each service logs in as its own NATS and Redis user with the permissions of libs/contracts
   * (broker-access.ts), so every stack test also proves those permissions suffice. Default true;
   * `{ workers }` adds action worker users (`stack.infra.users.workers`).
   */
  users?: boolean | { workers?: Record<string, string[]> };
  /** Per service, for `/readyz`. Default 90 s. */
  readyTimeoutMs?: number;
  /** Prefix of the log dir's name. */
  label?: string;
}

export interface Stack {
  infra: TestInfra;
  gateway: ServiceProcess;
  blackboard: ServiceProcess;
  runners: ServiceProcess[];
  history?: ServiceProcess;
  /** Where every service's log file is (kept after `dispose()` when CANOPY_KEEP_LOGS is set). */
  logDir: string;
  all(): ServiceProcess[];
  /** Stops every service still running (SIGTERM, then SIGKILL), then NATS and Redis. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Real nats-server and redis-server on free ports, then every service as its own process on a free
 * port, each awaited on `/readyz`. On any failure everything started so far is stopped.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const infra = await startTestInfra({ ...opts.infra, users: opts.users ?? true });
  const logs = makeLogDir(`${opts.label ?? 'stack'}-logs`);
  const services: ServiceProcess[] = [];
  let disposed: Promise<void> | undefined;
  const dispose = () =>
    (disposed ??= (async () => {
      // Gateway and history first (no new work), then runners (they hand over and drain), brokers last.
      const order = [...services].reverse();
      await Promise.allSettled(order.map((s) => s.stop()));
      await infra.dispose();
      logs.remove();
    })());

  try {
    const common = {
      ...infra.env,
      LOG_LEVEL: opts.logLevel ?? process.env.CANOPY_TEST_LOG_LEVEL ?? 'info',
    };
    const add = async (name: string, app: ServiceApp, env: Record<string, string> = {}) => {
      const port = await getFreePort();
      const service = new ServiceProcess(
        {
          name,
          app,
          port,
          env: {
            ...common,
            ...(infra.users ? credentialsEnv(infra.users, app) : {}),
            ...opts.env?.[app],
            ...env,
          },
        },
        logs.dir,
      );
      services.push(service);
      service.start();
      return service;
    };
    const blackboard = await add('blackboard', 'blackboard');
    const runners: ServiceProcess[] = [];
    const runnerId = opts.runnerId ?? ((i: number) => `runner-${i}`);
    for (let i = 1; i <= (opts.runners ?? 1); i++) {
      runners.push(await add(`runner-${i}`, 'tick-runner', { RUNNER_ID: runnerId(i) }));
    }
    const gateway = await add('gateway', 'gateway');
    const history = opts.history === false ? undefined : await add('history', 'history');
    const timeout = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    await Promise.all(services.map((s) => s.waitReady(timeout)));
    return {
      infra,
      gateway,
      blackboard,
      runners,
      history,
      logDir: logs.dir,
      all: () => [...services],
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
