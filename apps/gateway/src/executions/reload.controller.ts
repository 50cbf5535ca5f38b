import {
  ExecIdParamsSchema,
  type ReloadReply,
  ReloadReplySchema,
  type ReloadTreeRequest,
  ReloadTreeRequestSchema,
} from '@canopy/contracts';
import { Controller, HttpCode, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { valid, ZodBody } from '../http/validated';
import { OWNER_COMMAND_ERRORS, OwnerClient } from '../nats/owner-client';
import { ApiErrors, ZodResponse } from '../openapi/zod-schema';
import { Access } from '../auth/access';

type IdParams = z.infer<typeof ExecIdParamsSchema>;

/** Hot reload (docs/reload.md): one owner command. */
@ApiTags('executions')
@ApiParam({ name: 'id', type: String })
@Controller('executions/:id')
export class ReloadController {
  constructor(private readonly owner: OwnerClient) {}

  @Put('tree')
  @Access('admin', { execution: true, unrestricted: true })
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Replace the execution's tree (source, definition or a registered version) with a policy: let-finish-then-swap (default), cancel-and-restart or swap-now; stored before the reply",
  })
  @ZodResponse(
    200,
    ReloadReplySchema,
    'The versions, the node diff, whether the swap is pending, the breakpoints dropped',
  )
  @ApiErrors(
    ...OWNER_COMMAND_ERRORS,
    'COMPILE_FAILED',
    'TREE_MISMATCH',
    'TREE_NOT_FOUND',
    'EXECUTION_STOPPED',
  )
  reload(
    @Param(valid(ExecIdParamsSchema)) { id }: IdParams,
    @ZodBody(ReloadTreeRequestSchema) body: ReloadTreeRequest,
  ): Promise<ReloadReply> {
    return this.owner.send(id, { type: 'reload', reload: body });
  }
}
