import {
  type CreateExecutionRequest,
  CreateExecutionRequestSchema,
  DeletedExecutionSchema,
  ExecIdParamsSchema,
  type Execution,
  ExecutionSchema,
  ListExecutionsQuerySchema,
  Subjects,
} from '@canopy/contracts';
import { Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { valid, ZodBody } from '../http/validated';
import { ServiceClient } from '../nats/service-client';
import { ApiErrors, ZodResponse } from '../openapi/zod-schema';
import { Access } from '../auth/access';
import { CurrentPrincipal, type Principal, seesTeam } from '../auth/principal';

/** A history service that does not answer must not hold a delete up long (the fence covers it). */
const HISTORY_DELETE_TIMEOUT_MS = 2000;

/** Execution lifecycle, served by any runner (queue group) from the shared store. */
@ApiTags('executions')
@Controller('executions')
export class ExecutionsController {
  constructor(private readonly services: ServiceClient) {}

  @Post()
  @Access('operator', { bodyTeam: true })
  @ApiOperation({
    summary: 'Create an execution of a tree (latest version unless `version` is given)',
  })
  @ZodResponse(201, ExecutionSchema, 'Created')
  @ApiErrors('VALIDATION_FAILED', 'TREE_NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'DEPENDENCY_UNAVAILABLE')
  create(@ZodBody(CreateExecutionRequestSchema) body: CreateExecutionRequest): Promise<Execution> {
    return this.services.call(Subjects.execCreate, body);
  }

  @Get()
  @Access('viewer')
  @ApiOperation({ summary: 'List executions' })
  @ApiQuery({ name: 'tree', required: false, type: String })
  @ApiQuery({ name: 'state', required: false, enum: ExecutionSchema.shape.state.options })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1-1000, default 100' })
  @ZodResponse(200, z.array(ExecutionSchema), 'Executions')
  @ApiErrors('VALIDATION_FAILED', 'DEPENDENCY_UNAVAILABLE')
  async list(
    @Query(valid(ListExecutionsQuerySchema)) query: z.infer<typeof ListExecutionsQuerySchema>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Execution[]> {
    const executions = await this.services.call(Subjects.execList, query);
    // A key limited to teams lists its teams' executions only (so a page may hold fewer than `limit`).
    return executions.filter((execution) => seesTeam(principal, execution.team));
  }

  @Get(':id')
  @Access('viewer', { execution: true })
  @ApiOperation({ summary: 'One execution' })
  @ApiParam({ name: 'id', type: String })
  @ZodResponse(200, ExecutionSchema, 'The execution')
  @ApiErrors('VALIDATION_FAILED', 'EXECUTION_NOT_FOUND', 'DEPENDENCY_UNAVAILABLE')
  get(
    @Param(valid(ExecIdParamsSchema)) { id }: z.infer<typeof ExecIdParamsSchema>,
  ): Promise<Execution> {
    return this.services.call(Subjects.execGet, { id });
  }

  @Delete(':id')
  @Access('operator', { execution: true })
  @ApiOperation({ summary: 'Stop and delete an execution with its state' })
  @ApiParam({ name: 'id', type: String })
  @ZodResponse(200, DeletedExecutionSchema, 'Deleted')
  @ApiErrors('VALIDATION_FAILED', 'EXECUTION_NOT_FOUND', 'DEPENDENCY_UNAVAILABLE')
  async delete(
    @Param(valid(ExecIdParamsSchema)) { id }: z.infer<typeof ExecIdParamsSchema>,
  ): Promise<{ deleted: true }> {
    const reply = await this.services.call(Subjects.execDelete, { id });
    // Its history, progress and stats go too. Should history not answer, they go at the first tick
    // of an execution created again under this id: records carry their incarnation (history.md).
    await this.services
      .call(Subjects.historyDelete, { id }, HISTORY_DELETE_TIMEOUT_MS)
      .catch(() => undefined);
    return reply;
  }
}
