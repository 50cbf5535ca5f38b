import { getFreePort } from './free-port';
import { type ServiceApp, ServiceProcess } from './service-process';
import { makeTempDir } from './temp-dir';

export interface StartServiceOptions {
  /** Log file name and label in errors; defaults to the app's name. */
  name?: string;
  /** NATS_URL, REDIS_URL and whatever else the service's config reads. PORT is set from `port`. */
  env: Record<string, string>;
  /** Default: a free loopback port. */
  port?: number;
  /** Where the log goes; default a temp dir the service owns (removed by `dispose()`). */
  logDir?: string;
  /** For `/readyz`. Default 90 s: TypeScript is compiled on start and the machine may be busy. */
  readyTimeoutMs?: number;
}

export const DEFAULT_READY_TIMEOUT_MS = 90_000;

/** One service as a process, started and awaited on `/readyz`. Stop it with `dispose()`. */
export async function startService(
  app: ServiceApp,
  opts: StartServiceOptions,
): Promise<ServiceProcess> {
  const name = opts.name ?? app;
  const service = new ServiceProcess(
    { name, app, port: opts.port ?? (await getFreePort()), env: opts.env },
    opts.logDir ?? makeTempDir(`${name}-logs`),
    opts.logDir === undefined,
  );
  service.start();
  try {
    await service.waitReady(opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  } catch (error) {
    await service.dispose();
    throw error;
  }
  return service;
}
