import type { OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ShutdownDeadline } from './shutdown-deadline';

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * SIGTERM/SIGINT close the app (every lifecycle hook, then the kit's connections) and end the
 * process: with code 0 once closed, or with code 1 at the ShutdownDeadline, logging what was
 * still pending. Replaces Nest's `enableShutdownHooks`, which waits for `close()` forever.
 */
export class StopSignals implements OnApplicationShutdown {
  private readonly listeners = new Map<NodeJS.Signals, () => void>();
  private stopping = false;

  constructor(
    private readonly deadline: ShutdownDeadline,
    private readonly logger: Logger,
  ) {}

  listen(close: () => Promise<void>): void {
    for (const signal of SIGNALS) {
      const listener = (): void => this.stop(signal, close);
      this.listeners.set(signal, listener);
      process.on(signal, listener);
    }
  }

  /** An app closed without a signal (tests) leaves no listeners behind. */
  onApplicationShutdown(): void {
    if (this.stopping) return;
    for (const [signal, listener] of this.listeners) process.off(signal, listener);
    this.listeners.clear();
  }

  private stop(signal: NodeJS.Signals, close: () => Promise<void>): void {
    if (this.stopping) {
      this.logger.warn({ signal }, 'already stopping');
      return;
    }
    this.stopping = true;
    this.deadline.start();
    const timeoutMs = this.deadline.timeoutMs;
    this.logger.info({ signal, timeoutMs }, 'stopping');
    setTimeout(() => {
      this.logger.error(
        { signal, timeoutMs, pending: this.deadline.pending() },
        'shutdown deadline passed; exiting with work pending',
      );
      process.exit(1);
    }, this.deadline.remainingMs());
    this.deadline.track('app.close (lifecycle hooks, HTTP server)', close).then(
      () => {
        this.logger.info({ signal }, 'stopped');
        process.exit(0);
      },
      (error: unknown) => {
        this.logger.error({ err: error, signal }, 'shutdown failed');
        process.exit(1);
      },
    );
  }
}
