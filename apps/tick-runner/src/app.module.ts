import { TracedNats, type Logger } from '@canopy/telemetry';
import { HealthRegistry, LOGGER } from '@canopy/service-kit';
import {
  Controller,
  Get,
  Header,
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type Type,
} from '@nestjs/common';
import Redis from 'ioredis';
import { defaultRunnerId, type RunnerConfig } from './config';
import { TickRunner } from './runner';

const CONFIG = Symbol('tick-runner.config');

/** Joins the deployment once Nest is up; hands every shard over before the connections close. */
@Injectable()
class RunnerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly runner: TickRunner,
    private readonly health: HealthRegistry,
    @Inject(CONFIG) private readonly config: RunnerConfig,
  ) {}

  /** The handover gets most of the shutdown deadline; the connections close in the rest. */
  private get handoverMs(): number {
    return Math.max(500, Math.floor(this.config.SHUTDOWN_TIMEOUT_MS * 0.6));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.health.register('membership', async () => {
      if (!this.runner.ready) throw new Error('not joined');
    });
    await this.runner.start();
  }

  /** SIGTERM: finish in-flight ticks, release leases, leave; service-kit drains NATS after this. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop(this.handoverMs);
  }
}

@Controller()
class MetricsController {
  constructor(private readonly runner: TickRunner) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metrics(): string {
    return this.runner.renderMetrics();
  }

  /** Which shards and how many executions this runner holds (operators, e2e tests). */
  @Get('status')
  status(): ReturnType<TickRunner['status']> {
    return this.runner.status();
  }
}

/**
 * The Nest layer is thin: TracedNats, Redis, the logger and /healthz /readyz come from service-kit;
 * everything else is the plain TickRunner composition.
 */
export function tickRunnerModule(config: RunnerConfig): Type<unknown> {
  @Module({
    controllers: [MetricsController],
    providers: [
      { provide: CONFIG, useValue: config },
      {
        provide: TickRunner,
        inject: [CONFIG, TracedNats, Redis, LOGGER],
        useFactory: (cfg: RunnerConfig, nats: TracedNats, redis: Redis, logger: Logger) =>
          new TickRunner(
            {
              runnerId: cfg.RUNNER_ID ?? defaultRunnerId(),
              shardCount: cfg.SHARD_COUNT,
              leaseTtlMs: cfg.LEASE_TTL_MS,
              actionTimeoutMs: cfg.ACTION_TIMEOUT_MS,
            },
            { nats, redis, log: logger },
          ),
      },
      RunnerLifecycle,
    ],
  })
  class TickRunnerModule {}
  return TickRunnerModule;
}
