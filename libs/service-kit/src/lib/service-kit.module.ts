import { type Telemetry, TracedNats } from '@canopy/telemetry';
import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  Optional,
  type Provider,
} from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { closeNats, closeRedis, MIN_STEP_MS } from './connections/close';
import { connectNats, type NatsEndpoint } from './connections/nats';
import { connectRedis, type RedisEndpoint } from './connections/redis';
import { HealthController } from './health/health.controller';
import { HealthRegistry } from './health/health-registry';
import { METRICS, Metrics } from './metrics/metrics';
import { MetricsController } from './metrics/metrics.controller';
import { LifecycleWatch } from './shutdown/lifecycle-watch';
import { settlesWithin, ShutdownDeadline } from './shutdown/shutdown-deadline';
import { StopSignals } from './shutdown/stop-signals';

/** Inject the service's pino logger: `@Inject(LOGGER) private readonly logger: Logger`. */
export const LOGGER = Symbol('canopy.logger');
const TELEMETRY = Symbol('canopy.telemetry');

/** SHUTDOWN_TIMEOUT_MS's default (commonEnv). */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface ServiceKitOptions {
  serviceName: string;
  logger: Logger;
  /** Omit for a service that does not use NATS. `jsonMaxDepth`: see TracedNats. */
  nats?: NatsEndpoint & { jsonMaxDepth?: number };
  /** Omit for a service that does not use Redis. */
  redis?: RedisEndpoint;
  /** Per-check deadline of /readyz. Default 1000 ms. */
  readinessTimeoutMs?: number;
  /** How long a stop may take (ShutdownDeadline). Default 10 s. */
  shutdownTimeoutMs?: number;
  /** Shut down after the connections close, so their last spans are exported. */
  telemetry?: Telemetry;
  /** The service's metrics (METRICS); a new registry when omitted. */
  metrics?: Metrics;
  /**
   * Serve them on `GET /metrics` (default). The gateway serves them itself, behind its auth.
   */
  serveMetrics?: boolean;
}

/**
 * Closes what the kit opened, after every other module's shutdown hooks (global modules go last):
 * NATS drains first (in-flight handlers finish, possibly writing to Redis), then Redis, then the
 * spans of all that are flushed. Each step gets a share of the time left before the
 * ShutdownDeadline (at least MIN_STEP_MS), so a dead broker cannot hold the stop.
 */
@Injectable()
class ConnectionsLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly deadline: ShutdownDeadline,
    @Optional() private readonly nats?: TracedNats,
    @Optional() private readonly redis?: Redis,
    @Optional() @Inject(TELEMETRY) private readonly telemetry?: Telemetry,
  ) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.deadline.start();
    this.logger.info({ signal }, 'closing connections');
    const { nats, redis, telemetry, logger } = this;
    if (nats) await this.deadline.track('NATS drain', () => closeNats(nats, this.share(3), logger));
    if (redis)
      await this.deadline.track('Redis quit', () => closeRedis(redis, this.share(2), logger));
    this.logger.info('connections closed');
    if (telemetry) {
      const flushed = telemetry
        .shutdown()
        .catch((error: unknown) => logger.warn({ err: error }, 'telemetry shutdown failed'));
      await this.deadline.track('telemetry flush', () => settlesWithin(flushed, this.share(1)));
    }
  }

  /** An equal part of the time left for the `steps` closing steps still to come. */
  private share(steps: number): number {
    return Math.max(MIN_STEP_MS, Math.floor(this.deadline.remainingMs() / steps));
  }
}

/**
 * What every service gets, as injectables: TracedNats, ioredis' Redis, HealthRegistry, LOGGER,
 * ShutdownDeadline, and the /healthz and /readyz endpoints. `bootstrapHttpService` imports it for
 * you.
 */
@Global()
@Module({})
export class ServiceKitModule {
  static forRoot(opts: ServiceKitOptions): DynamicModule {
    const deadline = new ShutdownDeadline(opts.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    const providers: Provider[] = [
      { provide: LOGGER, useValue: opts.logger },
      { provide: METRICS, useValue: opts.metrics ?? new Metrics() },
      { provide: TELEMETRY, useValue: opts.telemetry },
      { provide: ShutdownDeadline, useValue: deadline },
      { provide: StopSignals, useValue: new StopSignals(deadline, opts.logger) },
      LifecycleWatch,
      ConnectionsLifecycle,
    ];
    const { nats, redis } = opts;
    if (nats) {
      providers.push({
        provide: TracedNats,
        useFactory: () =>
          connectNats({ ...nats, name: opts.serviceName, logger: opts.logger }),
      });
    }
    if (redis) {
      providers.push({
        provide: Redis,
        useFactory: () =>
          connectRedis({ ...redis, name: opts.serviceName, logger: opts.logger }),
      });
    }
    providers.push({
      provide: HealthRegistry,
      inject: [
        { token: TracedNats, optional: true },
        { token: Redis, optional: true },
      ],
      useFactory: (tracedNats?: TracedNats, client?: Redis) => {
        const registry = new HealthRegistry(opts.readinessTimeoutMs ?? 1000);
        if (tracedNats) registry.register('nats', () => tracedNats.connection.rtt());
        if (client) registry.register('redis', () => client.ping());
        return registry;
      },
    });
    return {
      module: ServiceKitModule,
      imports: [DiscoveryModule],
      controllers: [HealthController, ...(opts.serveMetrics === false ? [] : [MetricsController])],
      providers,
      exports: [
        LOGGER,
        METRICS,
        HealthRegistry,
        ShutdownDeadline,
        ...(nats ? [TracedNats] : []),
        ...(redis ? [Redis] : []),
      ],
    };
  }
}
