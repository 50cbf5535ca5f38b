import {
  HistoryDiffRequestSchema,
  HistoryForkRequestSchema,
  HistoryIdRequestSchema,
  HistoryListRequestSchema,
  HistoryTickRequestSchema,
  HistoryTimelineRequestSchema,
  Queues,
  type ReplyOf,
  type RequestSubject,
  Subjects,
} from '@canopy/contracts';
import { TracedNats } from '@canopy/telemetry';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { z } from 'zod';
import { HistoryWriter } from '../ingest/history-writer';
import { HistoryQueries } from '../use-cases/history-queries.use-case';
import { StatsQueries } from '../use-cases/stats-queries.use-case';
import { ForkExecutionUseCase } from '../use-cases/fork-execution.use-case';

/**
 * The service's NATS face: one queue subscription per request subject (any replica answers).
 * TracedNats validates each request against its schema (VALIDATION_FAILED before any work) and
 * answers thrown AppErrors as error bodies.
 */
@Injectable()
export class HistoryHandlers implements OnApplicationBootstrap {
  constructor(
    private readonly nats: TracedNats,
    private readonly history: HistoryQueries,
    private readonly stats: StatsQueries,
    private readonly writer: HistoryWriter,
    private readonly fork: ForkExecutionUseCase,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.serve(Subjects.historyList, HistoryListRequestSchema, (req) => this.history.list(req));
    this.serve(Subjects.historyGet, HistoryTickRequestSchema, (req) =>
      this.history.state(req.id, req.tick),
    );
    this.serve(Subjects.historyDiff, HistoryDiffRequestSchema, (req) =>
      this.history.diff(req.id, req.from, req.to),
    );
    this.serve(Subjects.historyTimeline, HistoryTimelineRequestSchema, (req) =>
      this.history.timeline(req),
    );
    this.serve(Subjects.historyDelete, HistoryIdRequestSchema, async ({ id }) => ({
      deleted: true as const,
      ticks: await this.writer.delete(id),
    }));
    this.serve(Subjects.historyStats, HistoryIdRequestSchema, ({ id }) => this.stats.stats(id));
    this.serve(Subjects.historyNodes, HistoryIdRequestSchema, ({ id }) => this.stats.nodes(id));
    this.serve(Subjects.historyBlackboard, HistoryIdRequestSchema, ({ id }) =>
      this.stats.blackboard(id),
    );
    this.serve(Subjects.historyProgress, HistoryIdRequestSchema, ({ id }) =>
      this.stats.progress(id),
    );
    this.serve(Subjects.historyFork, HistoryForkRequestSchema, (req) => this.fork.execute(req));
    // Once the server has the subscriptions, a request sent after boot cannot miss them.
    await this.nats.connection.flush();
  }

  private serve<S extends RequestSubject, Q extends z.ZodType>(
    subject: S,
    schema: Q,
    handler: (req: z.output<Q>) => Promise<ReplyOf<S>>,
  ): void {
    this.nats.subscribe<z.output<Q>, ReplyOf<S>>(subject, handler, {
      queue: Queues.history,
      schema: schema as z.ZodType<z.output<Q>>,
    });
  }
}
