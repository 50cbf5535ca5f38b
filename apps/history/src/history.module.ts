import { TracedNats } from '@canopy/telemetry';
import { LOGGER, treeLimitsOf } from '@canopy/service-kit';
import type { Logger } from 'pino';
import { type DynamicModule, Module } from '@nestjs/common';
import Redis from 'ioredis';
import { HISTORY_CONFIG, type HistoryConfig } from './config';
import { HistoryWriter } from './ingest/history-writer';
import { HistoryMetrics } from './ingest/history-metrics';
import { natsProgressEvents } from './ingest/progress-events';
import { RetentionSweeper } from './ingest/retention-sweeper';
import { TickConsumer } from './ingest/tick-consumer';
import { HistoryQueries } from './use-cases/history-queries.use-case';
import { StatsQueries } from './use-cases/stats-queries.use-case';
import { FrameReader } from './store/frame-reader';
import { HistoryStore } from './store/history.store';
import { HistoryHandlers } from './transport/history.handlers';
import { TreeCatalog } from './trees/tree-catalog';
import { ForkExecutionUseCase } from './use-cases/fork-execution.use-case';

/**
 * The classes are plain (constructed here) so tests and tools can compose them without Nest;
 * TracedNats, Redis and LOGGER come from ServiceKitModule (global).
 */
@Module({
  providers: [
    {
      provide: HistoryStore,
      inject: [Redis],
      useFactory: (redis: Redis) => new HistoryStore(redis),
    },
    {
      provide: FrameReader,
      inject: [HistoryStore],
      useFactory: (store: HistoryStore) => new FrameReader(store),
    },
    {
      provide: TreeCatalog,
      inject: [TracedNats, HISTORY_CONFIG],
      useFactory: (nats: TracedNats, config: HistoryConfig) =>
        new TreeCatalog(nats, config.REQUEST_TIMEOUT_MS, treeLimitsOf(config)),
    },
    {
      provide: HistoryWriter,
      inject: [HistoryStore, FrameReader, TreeCatalog, TracedNats, HISTORY_CONFIG, LOGGER],
      useFactory: (
        store: HistoryStore,
        reader: FrameReader,
        catalog: TreeCatalog,
        nats: TracedNats,
        config: HistoryConfig,
        logger: Logger,
      ) => {
        const events = natsProgressEvents(
          nats,
          {
            minIntervalMs: config.HISTORY_PROGRESS_EVENT_MS,
            cachedExecutions: config.HISTORY_CACHE_EXECUTIONS,
          },
          logger,
        );
        return new HistoryWriter(store, reader, catalog, {
          keyframeEvery: config.HISTORY_KEYFRAME_EVERY,
          retainTicks: config.HISTORY_RETAIN_TICKS,
          retainMs: config.HISTORY_RETAIN_MS,
          cachedExecutions: config.HISTORY_CACHE_EXECUTIONS,
          onProgress: (execId, progress) => events.stored(execId, progress),
          onDelete: (execId) => events.forget(execId),
        });
      },
    },
    {
      provide: HistoryQueries,
      inject: [HistoryStore, FrameReader, TreeCatalog],
      useFactory: (store: HistoryStore, reader: FrameReader, catalog: TreeCatalog) =>
        new HistoryQueries(store, reader, catalog),
    },
    {
      provide: StatsQueries,
      inject: [HistoryStore, TreeCatalog],
      useFactory: (store: HistoryStore, catalog: TreeCatalog) => new StatsQueries(store, catalog),
    },
    {
      provide: ForkExecutionUseCase,
      inject: [HistoryQueries, TracedNats, HISTORY_CONFIG],
      useFactory: (queries: HistoryQueries, nats: TracedNats, config: HistoryConfig) =>
        new ForkExecutionUseCase(queries, nats, config.REQUEST_TIMEOUT_MS),
    },
    HistoryMetrics,
    TickConsumer,
    RetentionSweeper,
    HistoryHandlers,
  ],
})
export class HistoryModule {
  /** The history service with its validated config injectable as HISTORY_CONFIG. */
  static forRoot(config: HistoryConfig): DynamicModule {
    return { module: HistoryModule, providers: [{ provide: HISTORY_CONFIG, useValue: config }] };
  }
}
