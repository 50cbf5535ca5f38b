import {
  type ApiKey,
  ApiKeySchema,
  type CreatedKey,
  CreatedKeySchema,
  type CreateKeyRequest,
  CreateKeyRequestSchema,
  KeyIdParamsSchema,
} from '@canopy/contracts';
import { Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { valid, ZodBody } from '../http/validated';
import { ApiErrors, ZodResponse } from '../openapi/zod-schema';
import { Access } from './access';
import { KeyStore } from './key-store';

/** API keys (`canopy keys create|list|revoke`): unrestricted admins only. */
@ApiTags('keys')
@Controller('keys')
export class KeysController {
  constructor(private readonly keys: KeyStore) {}

  @Post()
  @Access('admin', { unrestricted: true })
  @ApiOperation({ summary: 'Create an API key; the answer is the only time the key is shown' })
  @ZodResponse(201, CreatedKeySchema, 'The key and its record')
  @ApiErrors('VALIDATION_FAILED', 'DEPENDENCY_UNAVAILABLE')
  create(@ZodBody(CreateKeyRequestSchema) body: CreateKeyRequest): Promise<CreatedKey> {
    return this.keys.create(body);
  }

  @Get()
  @Access('admin', { unrestricted: true })
  @ApiOperation({ summary: 'List API keys (ids, roles, teams; never the keys)' })
  @ZodResponse(200, z.array(ApiKeySchema), 'Keys')
  list(): Promise<ApiKey[]> {
    return this.keys.list();
  }

  @Delete(':id')
  @Access('admin', { unrestricted: true })
  @ApiOperation({ summary: 'Revoke an API key: its next request is refused' })
  @ApiParam({ name: 'id', type: String })
  @ZodResponse(200, z.object({ revoked: z.literal(true) }), 'Revoked')
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND')
  async revoke(
    @Param(valid(KeyIdParamsSchema)) { id }: z.infer<typeof KeyIdParamsSchema>,
  ): Promise<{ revoked: true }> {
    await this.keys.revoke(id);
    return { revoked: true };
  }
}
