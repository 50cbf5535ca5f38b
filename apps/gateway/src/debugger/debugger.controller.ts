import {
  type Breakpoint,
  BreakpointNodeParamsSchema,
  BreakpointSchema,
  type CreateBreakpointRequest,
  CreateBreakpointRequestSchema,
  type CreateWatchRequest,
  CreateWatchRequestSchema,
  type DebugView,
  DebugViewSchema,
  ExecIdParamsSchema,
  type RemovedBreakpoints,
  RemovedBreakpointsSchema,
  type RemovedWatch,
  RemovedWatchSchema,
  type StepRequest,
  StepRequestSchema,
  type Watch,
  WatchParamsSchema,
  WatchSchema,
} from '@canopy/contracts';
import { Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { PathWithRest, valid, ZodBody } from '../http/validated';
import { OWNER_COMMAND_ERRORS, OwnerClient } from '../nats/owner-client';
import { ApiErrors, ZodResponse } from '../openapi/zod-schema';
import { Access } from '../auth/access';

type IdParams = z.infer<typeof ExecIdParamsSchema>;

/**
 * The debugger (DESIGN.md "Debugging"): breakpoints, watches, steps and the paused view. The
 * owning runner keeps them with the execution, so each route is one owner command.
 */
@ApiTags('debugger')
@ApiParam({ name: 'id', type: String })
@Controller('executions/:id')
export class DebuggerController {
  constructor(private readonly owner: OwnerClient) {}

  @Get('debug')
  @Access('viewer', { execution: true })
  @ApiOperation({
    summary:
      'Whether it is paused and where, the statuses and blackboard as seen there, breakpoints and watches',
  })
  @ZodResponse(200, DebugViewSchema, 'The debug view')
  @ApiErrors(...OWNER_COMMAND_ERRORS)
  debug(@Param(valid(ExecIdParamsSchema)) { id }: IdParams): Promise<DebugView> {
    return this.owner.send(id, { type: 'debug' });
  }

  @Post('step')
  @Access('operator', { execution: true })
  @ApiOperation({
    summary:
      'From a pause: `into` the next node boundary, `over` the paused node, `out` of its parent, or `continue` to the next hit',
  })
  @ZodResponse(200, DebugViewSchema, 'Where the step stopped (`paused: false` when it ran on)')
  @ApiErrors(...OWNER_COMMAND_ERRORS, 'EXECUTION_NOT_PAUSED', 'EXECUTION_STOPPED')
  step(
    @Param(valid(ExecIdParamsSchema)) { id }: IdParams,
    @ZodBody(StepRequestSchema) { mode }: StepRequest,
  ): Promise<DebugView> {
    return this.owner.send(id, { type: 'step', mode });
  }

  @Get('breakpoints')
  @Access('viewer', { execution: true })
  @ApiOperation({ summary: 'The breakpoints, in the order they were set' })
  @ZodResponse(200, z.array(BreakpointSchema), 'Breakpoints')
  @ApiErrors(...OWNER_COMMAND_ERRORS)
  async breakpoints(@Param(valid(ExecIdParamsSchema)) { id }: IdParams): Promise<Breakpoint[]> {
    return (await this.owner.send(id, { type: 'debug' })).breakpoints;
  }

  @Post('breakpoints')
  @Access('operator', { execution: true })
  @ApiOperation({
    summary:
      'Hook a node: stop `before` it is ticked or `after` it returned (`break`), or return `status` instead of ticking it (`replace`)',
  })
  @ZodResponse(201, BreakpointSchema, 'The breakpoint, with its id')
  @ApiErrors(...OWNER_COMMAND_ERRORS, 'UNKNOWN_NODE', 'BAD_CONDITION')
  addBreakpoint(
    @Param(valid(ExecIdParamsSchema)) { id }: IdParams,
    @ZodBody(CreateBreakpointRequestSchema) breakpoint: CreateBreakpointRequest,
  ): Promise<Breakpoint> {
    return this.owner.send(id, { type: 'breakpoint.add', breakpoint });
  }

  @Delete('breakpoints/*')
  @Access('operator', { execution: true })
  @ApiOperation({ summary: 'Remove every hook on the node (`removed: []` when it had none)' })
  @ApiParam({
    name: 'nodeId',
    type: String,
    description: 'The node id, the rest of the path: `0.2.1`, `charge/dock` (`/` as is or `%2F`)',
  })
  @ZodResponse(200, RemovedBreakpointsSchema, 'The hooks that were on the node')
  @ApiErrors(...OWNER_COMMAND_ERRORS)
  removeBreakpoints(
    @PathWithRest('nodeId', valid(BreakpointNodeParamsSchema))
    { id, nodeId }: z.infer<typeof BreakpointNodeParamsSchema>,
  ): Promise<RemovedBreakpoints> {
    return this.owner.send(id, { type: 'breakpoint.remove', nodeId });
  }

  @Get('watches')
  @Access('viewer', { execution: true })
  @ApiOperation({ summary: 'The watches, in the order they were set' })
  @ZodResponse(200, z.array(WatchSchema), 'Watches')
  @ApiErrors(...OWNER_COMMAND_ERRORS)
  async watches(@Param(valid(ExecIdParamsSchema)) { id }: IdParams): Promise<Watch[]> {
    return (await this.owner.send(id, { type: 'debug' })).watches;
  }

  @Post('watches')
  @Access('operator', { execution: true })
  @ApiOperation({
    summary:
      'Stop right after the node whose write changed `key`, or made `condition` true where it was false',
  })
  @ZodResponse(201, WatchSchema, 'The watch, with its id')
  @ApiErrors(...OWNER_COMMAND_ERRORS, 'BAD_CONDITION')
  addWatch(
    @Param(valid(ExecIdParamsSchema)) { id }: IdParams,
    @ZodBody(CreateWatchRequestSchema) watch: CreateWatchRequest,
  ): Promise<Watch> {
    return this.owner.send(id, { type: 'watch.add', watch });
  }

  @Delete('watches/:watchId')
  @Access('operator', { execution: true })
  @ApiOperation({ summary: 'Remove a watch' })
  @ApiParam({ name: 'watchId', type: String })
  @ZodResponse(200, RemovedWatchSchema, 'The watch that was removed')
  @ApiErrors(...OWNER_COMMAND_ERRORS, 'WATCH_NOT_FOUND')
  removeWatch(
    @Param(valid(WatchParamsSchema)) { id, watchId }: z.infer<typeof WatchParamsSchema>,
  ): Promise<RemovedWatch> {
    return this.owner.send(id, { type: 'watch.remove', watchId });
  }
}
