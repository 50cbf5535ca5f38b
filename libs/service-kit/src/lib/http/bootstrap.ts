import {
  createLogger,
  type Logger,
  PinoNestLogger,
  startTelemetry,
  type TelemetryOptions,
} from '@canopy/telemetry';
import { JSON_MAX_DEPTH_DEFAULT } from '@canopy/contracts';
import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppExceptionFilter } from '../errors/exception-filter';
import type { NatsEndpoint } from '../connections/nats';
import type { RedisEndpoint } from '../connections/redis';
import { ServiceKitModule } from '../service-kit.module';
import { StopSignals } from '../shutdown/stop-signals';
import { frameworkErrorOptions } from './framework-errors';
import { installJsonBodyParser } from './json-body';
import { installJsonDepthLimit } from './json-depth-limit';
import { installRequestHooks } from './request-hooks';
import { installHttpMetrics } from '../metrics/http-metrics';
import { Metrics } from '../metrics/metrics';
import { DEFAULT_RETRY_AFTER_SECONDS, installRetryAfter } from './retry-after';

export interface HttpServiceOptions {
  serviceName: string;
  /** 0 picks a free port. */
  port: number;
  /** The address to listen on (HOST). Default 127.0.0.1: containers set 0.0.0.0. */
  host?: string;
  /**
   * Connect NATS (TracedNats becomes injectable and is checked by /readyz); handled payloads
   * deeper than `jsonMaxDepth` are answered NESTING_TOO_DEEP.
   */
  nats?: NatsEndpoint & { jsonMaxDepth?: number };
  /** Connect Redis (ioredis' Redis becomes injectable and is checked by /readyz). */
  redis?: RedisEndpoint;
  /** Largest request body accepted; beyond it 413 PAYLOAD_TOO_LARGE. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Deepest JSON body accepted (JSON_MAX_DEPTH); deeper is 400 NESTING_TOO_DEEP. Default 512. */
  jsonMaxDepth?: number;
  /** Per-dependency deadline of /readyz. Default 1000 ms. */
  readinessTimeoutMs?: number;
  /** `Retry-After` of every 503 (RETRY_AFTER_SECONDS). Default 5. */
  retryAfterSeconds?: number;
  /** How long a stop may take before the process ends anyway (SHUTDOWN_TIMEOUT_MS). Default 10 s. */
  shutdownTimeoutMs?: number;
  /** Adds what Nest's modules cannot (routes on Fastify directly, OpenAPI), before listening. */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
  /** Defaults to `createLogger(serviceName)`. */
  logger?: Logger;
  /** Tests pass an in-memory exporter here; OTLP comes from OTEL_EXPORTER_OTLP_ENDPOINT. */
  telemetry?: Omit<TelemetryOptions, 'serviceName'>;
  /** Serve `GET /metrics` without credentials (default); the gateway serves it behind its auth. */
  serveMetrics?: boolean;
}

/** Root of every service: its own AppModule plus the kit. */
@Module({})
class HttpServiceRoot {}

/**
 * Builds and initialises the app without listening: what tests use, with `app.inject()`.
 * Nest gets the pino logger from the start (it exists before the app, so nothing needs
 * `bufferLogs`), errors leave as `{error:{code,message}}`, every 503 carries `Retry-After`, and
 * SIGTERM/SIGINT close the app and end the process within the shutdown deadline.
 */
export async function createHttpService(
  appModule: Type<unknown> | DynamicModule,
  opts: HttpServiceOptions,
): Promise<NestFastifyApplication> {
  const telemetry = startTelemetry({ serviceName: opts.serviceName, ...opts.telemetry });
  const logger = opts.logger ?? createLogger(opts.serviceName);
  const metrics = new Metrics();
  const kit = ServiceKitModule.forRoot({
    metrics,
    serveMetrics: opts.serveMetrics,
    serviceName: opts.serviceName,
    logger,
    nats: opts.nats,
    redis: opts.redis,
    readinessTimeoutMs: opts.readinessTimeoutMs,
    shutdownTimeoutMs: opts.shutdownTimeoutMs,
    telemetry,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    { module: HttpServiceRoot, imports: [appModule, kit] },
    new FastifyAdapter({ bodyLimit: opts.bodyLimitBytes ?? 1024 * 1024, ...frameworkErrorOptions() }),
    // abortOnError false: a failed boot rejects (and is logged by the caller) instead of
    // Nest calling process.abort(), which would also kill a test runner.
    // bodyParser false: Nest would add its JSON parser and a form-encoded one; every route takes
    // JSON only, through installJsonBodyParser (any other body type is 415).
    { logger: new PinoNestLogger(logger), abortOnError: false, bodyParser: false },
  );
  app.useGlobalFilters(new AppExceptionFilter(logger));
  const fastify = app.getHttpAdapter().getInstance();
  installRequestHooks(fastify, logger);
  installHttpMetrics(fastify, metrics);
  installRetryAfter(fastify, opts.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
  installJsonBodyParser(fastify, opts.jsonMaxDepth ?? JSON_MAX_DEPTH_DEFAULT);
  installJsonDepthLimit(fastify, opts.jsonMaxDepth ?? JSON_MAX_DEPTH_DEFAULT);
  // Before init: a stop signalled while the app starts waits for the start, then closes it.
  app.get(StopSignals).listen(() => app.close());
  await app.init();
  await opts.configure?.(app);
  return app;
}

/**
 * main.ts in one call: create the app and listen. A failed boot (bad config is checked before,
 * unreachable NATS/Redis here) is logged and exits the process with code 1.
 */
export async function bootstrapHttpService(
  appModule: Type<unknown> | DynamicModule,
  opts: HttpServiceOptions,
): Promise<NestFastifyApplication> {
  const logger = opts.logger ?? createLogger(opts.serviceName);
  try {
    const app = await createHttpService(appModule, { ...opts, logger });
    await app.listen({ port: opts.port, host: opts.host ?? '127.0.0.1' });
    logger.info({ url: await app.getUrl() }, `${opts.serviceName} listening`);
    return app;
  } catch (error) {
    logger.fatal({ err: error }, `${opts.serviceName} failed to start`);
    process.exit(1);
  }
}
