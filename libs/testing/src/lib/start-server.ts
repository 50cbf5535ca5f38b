import { getFreePort } from './free-port';
import { ServerProcess, type ServerSpec } from './server-process';
import { makeTempDir } from './temp-dir';

export interface ServerHandle {
  readonly url: string;
  readonly port: number;
  /** The server process while it runs (e.g. to sample its memory). */
  readonly pid: number | undefined;
  /** Stops the server. Its data stays, so `restart()` brings it back as it was. */
  stop(): Promise<void>;
  /** Starts the server again on the same port with the same data, stopping it first if running. */
  restart(): Promise<void>;
  /** Stops the server and deletes its data. Call it in `afterAll`. */
  dispose(): Promise<void>;
}

export interface Launch {
  port: number;
  dir: string;
  server: ServerProcess;
}

const PORT_ATTEMPTS = 3;

/**
 * Starts a server on fresh ports (the first is the client port) and a fresh temp dir. A free port can be taken by someone else between
 * probing and binding, so "address in use" at first start is retried on a new port.
 */
export async function launchServer(
  label: string,
  portCount: number,
  makeSpec: (ports: number[], dir: string) => Omit<ServerSpec, 'dir'>,
): Promise<Launch> {
  for (let attempt = 1; ; attempt++) {
    const ports = await Promise.all(Array.from({ length: portCount }, () => getFreePort()));
    const dir = makeTempDir(label);
    const server = new ServerProcess({ ...makeSpec(ports, dir), dir });
    try {
      await server.start();
      return { port: ports[0], dir, server };
    } catch (error) {
      const portTaken = /address already in use/i.test(server.logTail());
      await server.dispose();
      if (!portTaken || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/** The handle of a launched server, with `extra` fields (the handle's `pid` stays live). */
export function handleFor<T extends object>(
  url: string,
  launch: Launch,
  extra: T,
): ServerHandle & T {
  const { server } = launch;
  const handle: ServerHandle = {
    url,
    port: launch.port,
    get pid() {
      return server.pid;
    },
    stop: () => server.stop(),
    restart: async () => {
      await server.stop();
      await server.start();
    },
    dispose: () => server.dispose(),
  };
  return Object.assign(handle, extra);
}
