import {
  ExecIdParamsSchema,
  type Execution,
  ExecutionSchema,
  type StartRequest,
  StartRequestSchema,
  type TickRequest,
  TickRequestSchema,
  type TickResponse,
  TickResponseSchema,
  type TriggerRequest,
  TriggerRequestSchema,
  type TriggerResponse,
  TriggerResponseSchema,
} from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import { Controller, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { valid, ZodBody } from '../http/validated';
import { OWNER_COMMAND_ERRORS, OwnerClient } from '../nats/owner-client';
import { ApiErrors, ZodResponse } from '../openapi/zod-schema';
import { Access } from '../auth/access';

type IdParams = z.infer<typeof ExecIdParamsSchema>;

/** Commands that only the runner owning the execution's shard can carry out. */
@ApiTags('executions')
@ApiParam({ name: 'id', type: String })
@Controller('executions/:id')
export class ExecutionControlController {
  constructor(
    private readonly owner: OwnerClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Post('tick')
  @Access('operator', { execution: true })
  @ApiOperation({
    summary:
      'Tick `count` times (default 1); answers after the ticks completed, or at once with `pausedAt` when a tick stops at a breakpoint, watch or step',
  })
  @ZodResponse(200, TickResponseSchema, 'State after the last tick, or where it paused')
  @ApiErrors(...OWNER_COMMAND_ERRORS, 'EXECUTION_STOPPED', 'TOO_MANY_TICKS')
  tick(
    @Param(valid(ExecIdParamsSchema)) { id }: IdParams,
    @ZodBody(TickRequestSchema, { required: false }) { count }: TickRequest,
  ): Promise<TickResponse> {
    const max = this.config.TICKS_PER_REQUEST_MAX;
    if (count > max) {
      throw new AppError('TOO_MANY_TICKS', `count ${count} is more than ${max} ticks per request (TICKS_PER_REQUEST_MAX)`, { max }, {
        fields: [{ field: 'count', message: `must be at most ${max}` }],
      });
    }
    return this.owner.send(id, { type: 'tick', count });
  }

  @Post('start')
  @Access('operator', { execution: true })
  @ApiOperation({
    summary: 'Run on its own: auto (until done), interval (every intervalMs) or event',
  })
  @ZodResponse(200, ExecutionSchema, 'The running execution')
  @ApiErrors(...OWNER_COMMAND_ERRORS, 'EXECUTION_NOT_STARTABLE', 'EXECUTION_STOPPED')
  start(
    @Param(valid(ExecIdParamsSchema)) { id }: IdParams,
    @ZodBody(StartRequestSchema) body: StartRequest,
  ): Promise<Execution> {
    return this.owner.send(id, { type: 'start', ...body });
  }

  @Post('pause')
  @Access('operator', { execution: true })
  @ApiOperation({ summary: 'Pause a running execution (the tick in flight completes)' })
  @ZodResponse(200, ExecutionSchema, 'The paused execution')
  @ApiErrors(...OWNER_COMMAND_ERRORS, 'EXECUTION_STOPPED')
  pause(@Param(valid(ExecIdParamsSchema)) { id }: IdParams): Promise<Execution> {
    return this.owner.send(id, { type: 'pause' });
  }

  @Post('resume')
  @Access('operator', { execution: true })
  @ApiOperation({ summary: 'Resume a paused execution in its mode' })
  @ZodResponse(200, ExecutionSchema, 'The running execution')
  @ApiErrors(...OWNER_COMMAND_ERRORS, 'EXECUTION_STOPPED')
  resume(@Param(valid(ExecIdParamsSchema)) { id }: IdParams): Promise<Execution> {
    return this.owner.send(id, { type: 'resume' });
  }

  @Post('trigger')
  @Access('operator', { execution: true })
  @ApiOperation({
    summary:
      'Queue an external event for the execution (any mode but stopped): stored before the answer, taken in order by its next ticks, at most 100 per tick, kept while paused; in event mode it causes a tick',
  })
  @ZodResponse(
    202,
    TriggerResponseSchema,
    'Stored: `queued` events now wait for ticks, `at` is the time the tree reads',
  )
  @ApiErrors(...OWNER_COMMAND_ERRORS, 'EXECUTION_STOPPED', 'EVENT_QUEUE_FULL', 'PAYLOAD_TOO_LARGE')
  trigger(
    @Param(valid(ExecIdParamsSchema)) { id }: IdParams,
    @ZodBody(TriggerRequestSchema) { event, payload }: TriggerRequest,
  ): Promise<TriggerResponse> {
    return this.owner.send(id, { type: 'trigger', event: { name: event, payload } });
  }

  @Post('stop')
  @Access('operator', { execution: true })
  @ApiOperation({ summary: 'Stop for good: running nodes are halted, no more ticks' })
  @ZodResponse(200, ExecutionSchema, 'The stopped execution')
  @ApiErrors(...OWNER_COMMAND_ERRORS)
  stop(@Param(valid(ExecIdParamsSchema)) { id }: IdParams): Promise<Execution> {
    return this.owner.send(id, { type: 'stop' });
  }
}
