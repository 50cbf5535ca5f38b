import {
  BbDeleteRequestSchema,
  BbGetRequestSchema,
  BbListRequestSchema,
  BbPutRequestSchema,
  Queues,
  type ReplyOf,
  type RequestOf,
  type RequestSubject,
  Subjects,
} from '@canopy/contracts';
import { TracedNats } from '@canopy/telemetry';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { z } from 'zod';
import { DeleteKeyUseCase } from '../use-cases/delete-key.use-case';
import { GetKeyUseCase } from '../use-cases/get-key.use-case';
import { ListKeysUseCase } from '../use-cases/list-keys.use-case';
import { PutKeyUseCase } from '../use-cases/put-key.use-case';

/** `value` may be any JSON, including null, but must be there: undefined cannot be stored. */
const PutRequestSchema = BbPutRequestSchema.refine((req) => req.value !== undefined, {
  message: 'value is required',
  path: ['value'],
});

/**
 * The service's NATS face: one queue subscription per request subject, so replicas share the
 * load. TracedNats validates each message against its schema (a bad one is answered
 * VALIDATION_FAILED and never reaches a use case) and answers thrown AppErrors as error bodies.
 */
@Injectable()
export class BlackboardHandlers implements OnApplicationBootstrap {
  constructor(
    private readonly nats: TracedNats,
    private readonly getKey: GetKeyUseCase,
    private readonly putKey: PutKeyUseCase,
    private readonly deleteKey: DeleteKeyUseCase,
    private readonly listKeys: ListKeysUseCase,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.serve(Subjects.bbGet, BbGetRequestSchema, (req) => this.getKey.execute(req));
    this.serve(Subjects.bbPut, PutRequestSchema, (req) => this.putKey.execute(req));
    this.serve(Subjects.bbDelete, BbDeleteRequestSchema, (req) => this.deleteKey.execute(req));
    this.serve(Subjects.bbList, BbListRequestSchema, (req) => this.listKeys.execute(req));
    // Once the server has the subscriptions, a request sent after boot cannot miss them.
    await this.nats.connection.flush();
  }

  private serve<S extends RequestSubject>(
    subject: S,
    schema: z.ZodType<RequestOf<S>>,
    handler: (req: RequestOf<S>) => Promise<ReplyOf<S>>,
  ): void {
    this.nats.subscribe<RequestOf<S>, ReplyOf<S>>(subject, handler, {
      queue: Queues.blackboard,
      schema,
    });
  }
}
