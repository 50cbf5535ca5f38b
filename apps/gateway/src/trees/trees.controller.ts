import {
  type RegisterTreeRequest,
  RegisterTreeRequestSchema,
  Subjects,
  type TreeRecord,
  TreeRecordSchema,
  type TreeSummary,
  TreeSummarySchema,
  TreeNameParamsSchema,
  TreeVersionParamsSchema,
} from '@canopy/contracts';
import { Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { valid, ZodBody } from '../http/validated';
import { ServiceClient } from '../nats/service-client';
import { ApiErrors, ZodResponse } from '../openapi/zod-schema';
import { Access } from '../auth/access';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { checkSource, type CheckTreeReply, CheckTreeReplySchema, CheckTreeRequestSchema } from './check-tree';

/** The tree registry, served by any runner. Compile errors come back from the runner as they are. */
@ApiTags('trees')
@Controller('trees')
export class TreesController {
  constructor(
    private readonly services: ServiceClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Post('check')
  @Access('viewer')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Compile tree-language source without registering it (editors check as you type): 200 when it compiles, 400 COMPILE_FAILED with every positioned error',
  })
  @ZodResponse(200, CheckTreeReplySchema, 'It compiles')
  @ApiErrors('VALIDATION_FAILED', 'COMPILE_FAILED', 'PAYLOAD_TOO_LARGE', 'DEPENDENCY_UNAVAILABLE')
  async check(@ZodBody(CheckTreeRequestSchema) body: z.infer<typeof CheckTreeRequestSchema>): Promise<CheckTreeReply> {
    const known = await this.services.call(Subjects.treesList, {});
    return checkSource(body, known.map((t) => t.name), this.config);
  }

  @Post()
  @Access('admin', { unrestricted: true })
  @ApiOperation({
    summary:
      'Register a tree from DSL source, a JSON definition, or BehaviorTree.CPP XML / mistreevous MDSL source (format); a new version each time',
  })
  @ZodResponse(201, TreeSummarySchema, 'Registered')
  @ApiErrors('VALIDATION_FAILED', 'COMPILE_FAILED', 'PAYLOAD_TOO_LARGE', 'DEPENDENCY_UNAVAILABLE')
  register(@ZodBody(RegisterTreeRequestSchema) body: RegisterTreeRequest): Promise<TreeSummary> {
    return this.services.call(Subjects.treesRegister, body);
  }

  @Get()
  @Access('viewer')
  @ApiOperation({ summary: 'List trees (latest version of each)' })
  @ZodResponse(200, z.array(TreeSummarySchema), 'Trees')
  @ApiErrors('DEPENDENCY_UNAVAILABLE')
  list(): Promise<TreeSummary[]> {
    return this.services.call(Subjects.treesList, {});
  }

  @Get(':name')
  @Access('viewer')
  @ApiOperation({ summary: 'The latest version of a tree' })
  @ApiParam({ name: 'name', type: String })
  @ZodResponse(200, TreeRecordSchema, 'The tree')
  @ApiErrors('VALIDATION_FAILED', 'TREE_NOT_FOUND', 'DEPENDENCY_UNAVAILABLE')
  get(
    @Param(valid(TreeNameParamsSchema)) { name }: z.infer<typeof TreeNameParamsSchema>,
  ): Promise<TreeRecord> {
    return this.services.call(Subjects.treesGet, { name });
  }

  @Get(':name/versions/:v')
  @Access('viewer')
  @ApiOperation({ summary: 'One version of a tree' })
  @ApiParam({ name: 'name', type: String })
  @ApiParam({ name: 'v', type: Number })
  @ZodResponse(200, TreeRecordSchema, 'The tree at that version')
  @ApiErrors('VALIDATION_FAILED', 'TREE_NOT_FOUND', 'DEPENDENCY_UNAVAILABLE')
  getVersion(
    @Param(valid(TreeVersionParamsSchema)) { name, v }: z.infer<typeof TreeVersionParamsSchema>,
  ): Promise<TreeRecord> {
    return this.services.call(Subjects.treesGet, { name, version: v });
  }
}
