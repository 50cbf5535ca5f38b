import { Module } from '@nestjs/common';
import Redis from 'ioredis';
import { BlackboardStore } from './store/blackboard.store';
import { BlackboardHandlers } from './transport/blackboard.handlers';
import { NatsChangePublisher } from './transport/nats-change-publisher';
import { ChangePublisher } from './use-cases/change-publisher';
import { DeleteKeyUseCase } from './use-cases/delete-key.use-case';
import { GetKeyUseCase } from './use-cases/get-key.use-case';
import { ListKeysUseCase } from './use-cases/list-keys.use-case';
import { PutKeyUseCase } from './use-cases/put-key.use-case';

/** TracedNats and Redis come from ServiceKitModule (global), which bootstrapHttpService adds. */
@Module({
  providers: [
    {
      provide: BlackboardStore,
      inject: [Redis],
      useFactory: (redis: Redis) => new BlackboardStore(redis),
    },
    { provide: ChangePublisher, useClass: NatsChangePublisher },
    GetKeyUseCase,
    PutKeyUseCase,
    DeleteKeyUseCase,
    ListKeysUseCase,
    BlackboardHandlers,
  ],
})
export class BlackboardModule {}
