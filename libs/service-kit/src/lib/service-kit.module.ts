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
import Redis from 'ioredis';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { connectNats } from './connections/nats';
import { connectRedis } from './connections/redis';
import { HealthController } from './health/health.controller';
import { HealthRegistry } from './health/health-registry';

/** Inject the service's pino logger: `@Inject(LOGGER) private readonly logger: Logger`. */
export const LOGGER = Symbol('canopy.logger');
const TELEMETRY = Symbol('canopy.telemetry');

export interface ServiceKitOptions {
  serviceName: string;
  logger: Logger;
  /** Omit for a service that does not use NATS. */
  nats?: { url: string };
  /** Omit for a service that does not use Redis. */
  redis?: { url: string };
  /** Per-check deadline of /readyz. Default 1000 ms. */
  readinessTimeoutMs?: number;
  /** Shut down after the connections close, so their last spans are exported. */
  telemetry?: Telemetry;
}

/**
 * Closes what the kit opened, after every other module's shutdown hooks (global modules go last):
 * NATS drains first (in-flight handlers finish, possibly writing to Redis), then Redis, then the
 * spans of all that are flushed.
 */
@Injectable()
class ConnectionsLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() private readonly nats?: TracedNats,
    @Optional() private readonly redis?: Redis,
    @Optional() @Inject(TELEMETRY) private readonly telemetry?: Telemetry,
  ) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.logger.info({ signal }, 'closing connections');
    await this.nats
      ?.drain()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'NATS drain failed'));
    if (this.redis) await closeRedis(this.redis);
    this.logger.info('connections closed');
    await this.telemetry?.shutdown();
  }
}

/** Resolves once the socket is gone, so nothing of ours outlives `app.close()`. */
async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  const ended = once(redis, 'end');
  // QUIT needs a live link; with the offline queue off it fails at once when Redis is down.
  await redis.quit().catch(() => redis.disconnect());
  await ended;
}

/**
 * What every service gets, as injectables: TracedNats, ioredis' Redis, HealthRegistry, LOGGER,
 * and the /healthz and /readyz endpoints. `bootstrapHttpService` imports it for you.
 */
@Global()
@Module({})
export class ServiceKitModule {
  static forRoot(opts: ServiceKitOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: LOGGER, useValue: opts.logger },
      { provide: TELEMETRY, useValue: opts.telemetry },
      ConnectionsLifecycle,
    ];
    const { nats, redis } = opts;
    if (nats) {
      providers.push({
        provide: TracedNats,
        useFactory: () =>
          connectNats({ url: nats.url, name: opts.serviceName, logger: opts.logger }),
      });
    }
    if (redis) {
      providers.push({
        provide: Redis,
        useFactory: () =>
          connectRedis({ url: redis.url, name: opts.serviceName, logger: opts.logger }),
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
      controllers: [HealthController],
      providers,
      exports: [LOGGER, HealthRegistry, ...(nats ? [TracedNats] : []), ...(redis ? [Redis] : [])],
    };
  }
}
