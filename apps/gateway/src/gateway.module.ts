import { type DynamicModule, Module } from '@nestjs/common';
import { KeysController } from './auth/keys.controller';
import { KeyStore } from './auth/key-store';
import { BlackboardController } from './blackboard/blackboard.controller';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { DebuggerController } from './debugger/debugger.controller';
import { ExecutionControlController } from './executions/execution-control.controller';
import { ExecutionsController } from './executions/executions.controller';
import { ReloadController } from './executions/reload.controller';
import { HistoryController } from './history/history.controller';
import { GatewayMetricsController } from './metrics/metrics.controller';
import { OwnerClient } from './nats/owner-client';
import { ServiceClient } from './nats/service-client';
import { AllEventsController, EventsController } from './streams/events.controller';
import { StreamHub } from './streams/stream-hub';
import { TreesController } from './trees/trees.controller';
import { ExecutionViews } from './views/execution-views';
import { TreeModels } from './views/tree-models';
import { VisualizeController } from './views/visualize.controller';

/**
 * Controllers translate REST to NATS requests; TracedNats, Redis (API keys, rate limits) and LOGGER
 * come from ServiceKitModule.
 */
@Module({
  controllers: [
    TreesController,
    ExecutionsController,
    ExecutionControlController,
    ReloadController,
    DebuggerController,
    BlackboardController,
    VisualizeController,
    EventsController,
    AllEventsController,
    HistoryController,
    KeysController,
    GatewayMetricsController,
  ],
  providers: [KeyStore, ServiceClient, OwnerClient, TreeModels, ExecutionViews, StreamHub],
})
export class GatewayModule {
  /** The gateway with its validated config injectable as GATEWAY_CONFIG. */
  static forRoot(config: GatewayConfig): DynamicModule {
    return { module: GatewayModule, providers: [{ provide: GATEWAY_CONFIG, useValue: config }] };
  }
}
