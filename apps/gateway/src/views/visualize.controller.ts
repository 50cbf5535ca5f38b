import { ExecIdParamsSchema, TreeNameParamsSchema } from '@canopy/contracts';
import type { NodeInfo } from '@canopy/engine';
import { renderPng, renderSvg, toDot } from '@canopy/viz';
import { Controller, Get, HttpCode, Param, Query, Res } from '@nestjs/common';
import {
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { valid } from '../http/validated';
import { ApiErrors } from '../openapi/zod-schema';
import { ExecutionViews } from './execution-views';
import { TreeModels } from './tree-models';
import { Access } from '../auth/access';

const FORMATS = ['dot', 'svg', 'png', 'json'] as const;
type Format = (typeof FORMATS)[number];

const CONTENT_TYPES: Readonly<Record<Format, string>> = {
  dot: 'text/vnd.graphviz; charset=utf-8',
  svg: 'image/svg+xml; charset=utf-8',
  png: 'image/png',
  json: 'application/json; charset=utf-8',
};

/**
 * `format=json`: the built tree as data, for clients that lay it out themselves (Studio):
 * `{name, version, nodes: [{id, type, name?, parentId?, childIds, depth}], statuses?, tick?}`.
 */
function nodesOf(nodes: readonly NodeInfo[]): NodeInfo[] {
  return nodes.map(({ id, type, name, parentId, childIds, depth }) => ({ id, type, name, parentId, childIds, depth }));
}

const FormatSchema = z.enum(FORMATS).default('svg');
export const TreeVisualizeQuerySchema = z.object({
  format: FormatSchema,
  version: z.coerce.number().int().positive().optional(),
});
export const ExecutionVisualizeQuerySchema = z.object({
  format: FormatSchema,
  blackboard: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});

const FORMAT_QUERY = {
  name: 'format',
  required: false,
  enum: FORMATS,
  description: 'default svg; json: the nodes as data (id, type, name, parentId, childIds, depth)',
} as const;

/** Pictures of trees and executions (Graphviz in WASM and resvg, in-process). */
@ApiTags('visualize')
@Controller()
export class VisualizeController {
  constructor(
    private readonly trees: TreeModels,
    private readonly executions: ExecutionViews,
  ) {}

  @Get('trees/:name/visualize')
  @Access('viewer')
  @HttpCode(200)
  @ApiOperation({ summary: "A registered tree's structure as DOT, SVG or PNG" })
  @ApiParam({ name: 'name', type: String })
  @ApiQuery(FORMAT_QUERY)
  @ApiQuery({ name: 'version', required: false, type: Number, description: 'default latest' })
  @ApiProduces(...Object.values(CONTENT_TYPES))
  @ApiResponse({ status: 200, description: 'The picture' })
  @ApiErrors('VALIDATION_FAILED', 'TREE_NOT_FOUND', 'DEPENDENCY_UNAVAILABLE')
  async tree(
    @Param(valid(TreeNameParamsSchema)) { name }: z.infer<typeof TreeNameParamsSchema>,
    @Query(valid(TreeVisualizeQuerySchema)) query: z.infer<typeof TreeVisualizeQuerySchema>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | Buffer> {
    const record = await this.trees.record(name, query.version);
    const tree = await this.trees.build(record);
    if (query.format === 'json') {
      void reply.type(CONTENT_TYPES.json);
      return JSON.stringify({ name: record.name, version: record.version, nodes: nodesOf(tree.nodes) });
    }
    return picture(
      reply,
      toDot(tree.nodes, { title: `${record.name} v${record.version}` }),
      query.format,
    );
  }

  @Get('executions/:id/visualize')
  @Access('viewer', { execution: true })
  @HttpCode(200)
  @ApiOperation({
    summary:
      'An execution: node statuses after its last tick, the running path, and with `blackboard=true` its exec scope',
  })
  @ApiParam({ name: 'id', type: String })
  @ApiQuery(FORMAT_QUERY)
  @ApiQuery({ name: 'blackboard', required: false, enum: ['true', 'false'] })
  @ApiProduces(...Object.values(CONTENT_TYPES))
  @ApiResponse({ status: 200, description: 'The picture' })
  @ApiErrors('VALIDATION_FAILED', 'EXECUTION_NOT_FOUND', 'DEPENDENCY_UNAVAILABLE')
  async execution(
    @Param(valid(ExecIdParamsSchema)) { id }: z.infer<typeof ExecIdParamsSchema>,
    @Query(valid(ExecutionVisualizeQuerySchema))
    query: z.infer<typeof ExecutionVisualizeQuerySchema>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | Buffer> {
    const execution = await this.executions.execution(id);
    const [state, blackboard] = await Promise.all([
      this.executions.tree(execution),
      query.blackboard ? this.executions.blackboard(id) : undefined,
    ]);
    if (query.format === 'json') {
      void reply.type(CONTENT_TYPES.json);
      return JSON.stringify({
        name: state.name,
        version: state.version,
        tick: state.tick,
        nodes: nodesOf(state.tree.nodes),
        statuses: state.restored ? state.tree.statuses() : undefined,
        blackboard,
      });
    }
    const title =
      `${state.name} v${state.version} · ${id} · tick ${state.tick} · ${execution.state}` +
      (state.restored ? '' : ' (statuses unavailable)');
    const dot = toDot(state.tree.nodes, {
      statuses: state.restored ? state.tree.statuses() : undefined,
      blackboard,
      title,
    });
    return picture(reply, dot, query.format);
  }
}

async function picture(reply: FastifyReply, dot: string, format: Exclude<Format, 'json'>): Promise<string | Buffer> {
  void reply.type(CONTENT_TYPES[format]);
  if (format === 'dot') return dot;
  return format === 'svg' ? renderSvg(dot) : renderPng(dot);
}
