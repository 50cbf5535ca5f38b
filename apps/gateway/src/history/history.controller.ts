import {
  BlackboardStatsSchema,
  ExecIdParamsSchema,
  ExecutionSchema,
  ExecutionStatsSchema,
  ForkBodySchema,
  HistoryDeletedSchema,
  HistoryDiffQuerySchema,
  HistoryListQuerySchema,
  HistoryTickParamsSchema,
  HistoryTimelineQuerySchema,
  NodeStatsReplySchema,
  ProgressSchema,
  Subjects,
  TickDiffSchema,
  TickStateSchema,
  TickSummarySchema,
  TimelineEntrySchema,
  type BlackboardStats,
  type Execution,
  type ExecutionStats,
  type HistoryDeleted,
  type NodeStatsReply,
  type Progress,
  type TickDiff,
  type TickState,
  type TickSummary,
  type TimelineEntry,
} from '@canopy/contracts';
import { Controller, Delete, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { valid, ZodBody } from '../http/validated';
import { ServiceClient } from '../nats/service-client';
import { ApiErrors, ZodResponse } from '../openapi/zod-schema';
import { Access } from '../auth/access';

type IdParams = z.infer<typeof ExecIdParamsSchema>;

const READ_ERRORS = ['VALIDATION_FAILED', 'DEPENDENCY_UNAVAILABLE'] as const;

/**
 * Per-tick history, diffs, stats, progress and forks, served by the history service
 * (`canopy.svc.history.*`, queue group: any replica answers). See docs/history.md.
 */
@ApiTags('history')
@ApiParam({ name: 'id', type: String })
@Controller('executions/:id')
export class HistoryController {
  constructor(
    private readonly services: ServiceClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get('history')
  @Access('viewer', { execution: true })
  @ApiOperation({ summary: 'Summaries of the retained ticks, oldest first' })
  @ApiQuery({ name: 'from', required: false, type: Number, description: 'first tick' })
  @ApiQuery({ name: 'to', required: false, type: Number, description: 'last tick' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1-1000, default 100' })
  @ZodResponse(200, z.array(TickSummarySchema), 'Tick summaries')
  @ApiErrors(...READ_ERRORS)
  list(
    @Param(valid(ExecIdParamsSchema)) { id }: IdParams,
    @Query(valid(HistoryListQuerySchema)) query: z.infer<typeof HistoryListQuerySchema>,
  ): Promise<TickSummary[]> {
    return this.services.call(Subjects.historyList, { id, ...query });
  }

  @Get('history/diff')
  @Access('viewer', { execution: true })
  @ApiOperation({
    summary: 'Node status and blackboard changes between the states after two ticks',
  })
  @ApiQuery({ name: 'from', required: true, type: Number })
  @ApiQuery({ name: 'to', required: true, type: Number })
  @ZodResponse(200, TickDiffSchema, 'What differs')
  @ApiErrors(...READ_ERRORS, 'TICK_NOT_FOUND')
  diff(
    @Param(valid(ExecIdParamsSchema)) { id }: IdParams,
    @Query(valid(HistoryDiffQuerySchema)) { from, to }: z.infer<typeof HistoryDiffQuerySchema>,
  ): Promise<TickDiff> {
    return this.services.call(Subjects.historyDiff, { id, from, to });
  }

  @Get('history/:tick')
  @Access('viewer', { execution: true })
  @ApiOperation({
    summary: 'The full state after a tick: every node status, blackboard, checkpoint, the record',
  })
  @ApiParam({ name: 'tick', type: Number })
  @ZodResponse(200, TickStateSchema, 'The state after the tick')
  @ApiErrors(...READ_ERRORS, 'TICK_NOT_FOUND')
  get(
    @Param(valid(HistoryTickParamsSchema)) { id, tick }: z.infer<typeof HistoryTickParamsSchema>,
  ): Promise<TickState> {
    return this.services.call(Subjects.historyGet, { id, tick });
  }

  @Delete('history')
  @Access('operator', { execution: true })
  @ApiOperation({ summary: 'Delete the history of an execution (not the execution)' })
  @ZodResponse(200, HistoryDeletedSchema, 'Deleted; `ticks` is how many were held')
  @ApiErrors(...READ_ERRORS)
  delete(@Param(valid(ExecIdParamsSchema)) { id }: IdParams): Promise<HistoryDeleted> {
    return this.services.call(Subjects.historyDelete, { id });
  }

  @Post('fork')
  @Access('operator', { execution: true, bodyTeam: true })
  @ApiOperation({
    summary:
      'A new execution from the state after `fromTick` (tree version, exec blackboard, node state)',
  })
  @ZodResponse(201, ExecutionSchema, 'The new execution; its next tick is fromTick + 1')
  @ApiErrors(...READ_ERRORS, 'TICK_NOT_FOUND', 'TREE_NOT_FOUND', 'EXECUTION_EXISTS')
  fork(
    @Param(valid(ExecIdParamsSchema)) { id }: IdParams,
    @ZodBody(ForkBodySchema) { id: newId, ...body }: z.infer<typeof ForkBodySchema>,
  ): Promise<Execution> {
    // History rebuilds the state and then waits for the runners' create: give it both deadlines.
    return this.services.call(
      Subjects.historyFork,
      { id, ...body, ...(newId === undefined ? {} : { newId }) },
      2 * this.config.REQUEST_TIMEOUT_MS,
    );
  }

  @Get('stats')
  @Access('viewer', { execution: true })
  @ApiOperation({ summary: 'Ticks, tick duration p50/p95/p99, success and failure counts' })
  @ZodResponse(200, ExecutionStatsSchema, 'Over the retained ticks')
  @ApiErrors(...READ_ERRORS, 'EXECUTION_NOT_FOUND')
  stats(@Param(valid(ExecIdParamsSchema)) { id }: IdParams): Promise<ExecutionStats> {
    return this.services.call(Subjects.historyStats, { id });
  }

  @Get('stats/nodes')
  @Access('viewer', { execution: true })
  @ApiOperation({ summary: 'Per node: visits, time spent, status counts, success rate' })
  @ZodResponse(200, NodeStatsReplySchema, 'Over the retained ticks')
  @ApiErrors(...READ_ERRORS, 'EXECUTION_NOT_FOUND')
  nodes(@Param(valid(ExecIdParamsSchema)) { id }: IdParams): Promise<NodeStatsReply> {
    return this.services.call(Subjects.historyNodes, { id });
  }

  @Get('stats/timeline')
  @Access('viewer', { execution: true })
  @ApiOperation({ summary: 'Per tick: start time, root status, duration' })
  @ApiQuery({ name: 'from', required: false, type: Number })
  @ApiQuery({ name: 'to', required: false, type: Number })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1-1000, default 1000' })
  @ZodResponse(200, z.array(TimelineEntrySchema), 'Oldest first')
  @ApiErrors(...READ_ERRORS)
  timeline(
    @Param(valid(ExecIdParamsSchema)) { id }: IdParams,
    @Query(valid(HistoryTimelineQuerySchema)) query: z.infer<typeof HistoryTimelineQuerySchema>,
  ): Promise<TimelineEntry[]> {
    return this.services.call(Subjects.historyTimeline, { id, ...query });
  }

  @Get('stats/blackboard')
  @Access('viewer', { execution: true })
  @ApiOperation({ summary: 'Writes per blackboard key (reads are not recorded)' })
  @ZodResponse(200, BlackboardStatsSchema, 'Over the retained ticks')
  @ApiErrors(...READ_ERRORS, 'EXECUTION_NOT_FOUND')
  blackboard(@Param(valid(ExecIdParamsSchema)) { id }: IdParams): Promise<BlackboardStats> {
    return this.services.call(Subjects.historyBlackboard, { id });
  }

  @Get('progress')
  @Access('viewer', { execution: true })
  @ApiOperation({ summary: 'Step, percent done, elapsed time and ETA of the current run' })
  @ZodResponse(200, ProgressSchema, 'Progress after the latest tick')
  @ApiErrors(...READ_ERRORS, 'EXECUTION_NOT_FOUND')
  progress(@Param(valid(ExecIdParamsSchema)) { id }: IdParams): Promise<Progress> {
    return this.services.call(Subjects.historyProgress, { id });
  }
}
