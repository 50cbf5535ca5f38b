import { createProvider } from '@canopy/llm';
import { TracedNats, type Logger } from '@canopy/telemetry';
import {
  HealthRegistry,
  LOGGER,
  METRICS,
  type Metrics,
  ShutdownDeadline,
  treeLimitsOf,
} from '@canopy/service-kit';
import {
  Controller,
  Get,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import Redis from 'ioredis';
import { RUNNER_CONFIG, defaultRunnerId, type RunnerConfig } from './config';
import { TickRunner } from './runner';

/** Joins the deployment once Nest is up; hands every shard over before the connections close. */
@Injectable()
class RunnerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly runner: TickRunner,
    private readonly health: HealthRegistry,
    private readonly deadline: ShutdownDeadline,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.health.register('membership', async () => {
      if (!this.runner.ready) throw new Error('not joined');
    });
    await this.runner.start();
  }

  /**
   * SIGTERM: finish in-flight ticks, deliver what was committed, release leases, leave, within the
   * time the shutdown deadline leaves before service-kit closes NATS and Redis.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop(this.deadline.appTimeLeftMs());
  }
}

@Controller()
class StatusController {
  constructor(private readonly runner: TickRunner) {}

  /** Which shards and how many executions this runner holds (operators, e2e tests). */
  @Get('status')
  status(): ReturnType<TickRunner['status']> {
    return this.runner.status();
  }
}

/**
 * The Nest layer is thin: TracedNats, Redis, the logger, /healthz /readyz and the shutdown
 * deadline come from service-kit; everything else is the plain TickRunner composition.
 */
@Module({
  controllers: [StatusController],
  providers: [
    {
      provide: TickRunner,
      inject: [RUNNER_CONFIG, TracedNats, Redis, LOGGER, METRICS],
      useFactory: (
        cfg: RunnerConfig,
        nats: TracedNats,
        redis: Redis,
        logger: Logger,
        metrics: Metrics,
      ) =>
        new TickRunner(
          {
            runnerId: cfg.RUNNER_ID ?? defaultRunnerId(),
            shardCount: cfg.SHARD_COUNT,
            leaseTtlMs: cfg.LEASE_TTL_MS,
            actionTimeoutMs: cfg.ACTION_TIMEOUT_MS,
            eventQueueMax: cfg.EVENT_QUEUE_MAX,
            treeLimits: treeLimitsOf(cfg),
            teamMaxExecutions: cfg.TEAM_MAX_EXECUTIONS,
            teamLlmTokenBudget: cfg.TEAM_LLM_TOKEN_BUDGET || undefined,
          },
          {
            nats,
            redis,
            log: logger,
            metrics,
            // Always a provider: an execution's `llm` or a node's `:provider` may name one even
            // when CANOPY_LLM_PROVIDER does not.
            mcpServers: cfg.CANOPY_MCP_SERVERS,
            llm: createProvider({ provider: cfg.CANOPY_LLM_PROVIDER, model: cfg.CANOPY_LLM_MODEL, retries: cfg.CANOPY_LLM_RETRIES }),
          },
        ),
    },
    RunnerLifecycle,
  ],
})
export class TickRunnerModule {
  /** The runner with its validated config injectable as RUNNER_CONFIG. */
  static forRoot(config: RunnerConfig): DynamicModule {
    return { module: TickRunnerModule, providers: [{ provide: RUNNER_CONFIG, useValue: config }] };
  }
}
