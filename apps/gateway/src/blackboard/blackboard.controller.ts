import {
  type BlackboardEntry,
  BlackboardEntrySchema,
  BlackboardKeyParamsSchema,
  DeletedKeySchema,
  DeleteKeyQuerySchema,
  ListKeysQuerySchema,
  PutKeyBodySchema,
  ScopeParamsSchema,
  Subjects,
} from '@canopy/contracts';
import { Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { PathWithRest, valid, ZodBody } from '../http/validated';
import { ServiceClient } from '../nats/service-client';
import { ApiErrors, ZodResponse } from '../openapi/zod-schema';
import { Access } from '../auth/access';

type KeyParams = z.infer<typeof BlackboardKeyParamsSchema>;

const SCOPE_DOC = {
  name: 'scope',
  type: String,
  description: '`global`, `team:<id>` or `exec:<id>`',
};
const KEY_DOC = { name: 'key', type: String, description: 'The key; may contain `/` and `.`' };

/** Scoped key-value state, served by the blackboard service. */
@ApiTags('blackboard')
@ApiParam(SCOPE_DOC)
@Controller('blackboard/:scope')
export class BlackboardController {
  constructor(private readonly services: ServiceClient) {}

  @Get()
  @Access('viewer', { scope: 'read' })
  @ApiOperation({
    summary: 'Every key of a scope, sorted, optionally only those starting with `prefix`',
  })
  @ApiQuery({ name: 'prefix', required: false, type: String })
  @ZodResponse(200, z.array(BlackboardEntrySchema), 'Entries')
  @ApiErrors('VALIDATION_FAILED', 'DEPENDENCY_UNAVAILABLE')
  list(
    @Param(valid(ScopeParamsSchema)) { scope }: z.infer<typeof ScopeParamsSchema>,
    @Query(valid(ListKeysQuerySchema)) { prefix }: z.infer<typeof ListKeysQuerySchema>,
  ): Promise<BlackboardEntry[]> {
    return this.services.listScope(scope, prefix);
  }

  @Get('keys/*')
  @Access('viewer', { scope: 'read' })
  @ApiOperation({ summary: 'One key with its version' })
  @ApiParam(KEY_DOC)
  @ZodResponse(200, BlackboardEntrySchema, 'The entry')
  @ApiErrors('VALIDATION_FAILED', 'KEY_NOT_FOUND', 'DEPENDENCY_UNAVAILABLE')
  get(
    @PathWithRest('key', valid(BlackboardKeyParamsSchema)) { scope, key }: KeyParams,
  ): Promise<BlackboardEntry> {
    return this.services.call(Subjects.bbGet, { scope, key });
  }

  @Put('keys/*')
  @Access('operator', { scope: 'write' })
  @ApiOperation({
    summary:
      'Write a key; with `version` a compare-and-set (0 = create only), 409 with the current version on mismatch',
  })
  @ApiParam(KEY_DOC)
  @ZodResponse(200, BlackboardEntrySchema, 'The entry with its new version')
  @ApiErrors('VALIDATION_FAILED', 'VERSION_CONFLICT', 'PAYLOAD_TOO_LARGE', 'DEPENDENCY_UNAVAILABLE')
  put(
    @PathWithRest('key', valid(BlackboardKeyParamsSchema)) { scope, key }: KeyParams,
    @ZodBody(PutKeyBodySchema) { value, version }: z.infer<typeof PutKeyBodySchema>,
  ): Promise<BlackboardEntry> {
    return this.services.call(Subjects.bbPut, { scope, key, value, expectedVersion: version });
  }

  @Delete('keys/*')
  @Access('operator', { scope: 'write' })
  @ApiOperation({ summary: 'Delete a key; with `?version=n` only if it is at version n' })
  @ApiParam(KEY_DOC)
  @ApiQuery({ name: 'version', required: false, type: Number })
  @ZodResponse(200, DeletedKeySchema, 'Deleted; `version` is the deletion version')
  @ApiErrors('VALIDATION_FAILED', 'KEY_NOT_FOUND', 'VERSION_CONFLICT', 'DEPENDENCY_UNAVAILABLE')
  delete(
    @PathWithRest('key', valid(BlackboardKeyParamsSchema)) { scope, key }: KeyParams,
    @Query(valid(DeleteKeyQuerySchema)) { version }: z.infer<typeof DeleteKeyQuerySchema>,
  ): Promise<{ deleted: true; version: number }> {
    return this.services.call(Subjects.bbDelete, { scope, key, expectedVersion: version });
  }
}
