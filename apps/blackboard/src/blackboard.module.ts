import { type DynamicModule, Module } from '@nestjs/common';
import Redis from 'ioredis';
import { BLACKBOARD_CONFIG, type BlackboardConfig } from './config';
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
export class BlackboardModule {
  /** The blackboard with its validated config injectable as BLACKBOARD_CONFIG. */
  static forRoot(config: BlackboardConfig): DynamicModule {
    return {
      module: BlackboardModule,
      providers: [{ provide: BLACKBOARD_CONFIG, useValue: config }],
    };
  }
}
