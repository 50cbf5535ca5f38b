import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1. There is a short window between closing
 * this probe socket and the server binding the port; callers retry on "address in use".
 */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() =>
        port > 0 ? resolve(port) : reject(new Error('could not allocate a free port')),
      );
    });
  });
}
