import { LOGGER } from '@canopy/service-kit';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { HISTORY_CONFIG, type HistoryConfig } from '../config';
import { HistoryStore } from '../store/history.store';
import { HistoryWriter } from './history-writer';

const PER_SWEEP = 100;

/**
 * Age retention for executions that stopped ticking: every HISTORY_SWEEP_MS, the executions whose
 * oldest retained tick is past HISTORY_RETAIN_MS (the index is scored by that tick's start) get
 * their old ticks dropped. Ticking executions are trimmed on every tick anyway.
 */
@Injectable()
export class RetentionSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly store: HistoryStore,
    private readonly writer: HistoryWriter,
    @Inject(HISTORY_CONFIG) private readonly config: HistoryConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.HISTORY_CONSUME) return;
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'retention sweep failed'))
        .finally(() => (this.sweeping = undefined));
    }, this.config.HISTORY_SWEEP_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** One pass; replies how many executions were looked at. */
  async sweep(): Promise<number> {
    const ids = await this.store.expiring(Date.now() - this.config.HISTORY_RETAIN_MS, PER_SWEEP);
    for (const id of ids) await this.writer.enforceRetention(id);
    return ids.length;
  }
}
