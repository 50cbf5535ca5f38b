export {
  loadConfig,
  loadConfigOrExit,
  ConfigError,
  type ConfigIssue,
} from './lib/config/load-config';
export {
  commonEnv,
  envBool,
  envHttpUrl,
  envInt,
  envPort,
  treeLimitsEnv,
  treeLimitsOf,
  type CommonConfig,
} from './lib/config/env-vars';
export { AppError, type ErrorExtras } from './lib/errors/app-error';
export { ZodValidationPipe } from './lib/errors/zod-validation.pipe';
export { connectNats, type NatsConnectOptions, type NatsEndpoint } from './lib/connections/nats';
export {
  connectRedis,
  duplicateRedis,
  redisReady,
  type RedisConnectOptions,
  type RedisEndpoint,
} from './lib/connections/redis';
export { reachRedis } from './lib/connections/reach-redis';
export { luaScript, runScript, type LuaScript } from './lib/connections/run-script';
export { externalSubtrees, subtreeLibrary } from './lib/trees/subtree-library';
export {
  HealthRegistry,
  type CheckResult,
  type HealthCheck,
  type ReadinessReport,
} from './lib/health/health-registry';
export { ServiceKitModule, LOGGER, type ServiceKitOptions } from './lib/service-kit.module';
export { ShutdownDeadline } from './lib/shutdown/shutdown-deadline';
export {
  bootstrapHttpService,
  createHttpService,
  type HttpServiceOptions,
} from './lib/http/bootstrap';
export { httpServiceOptions } from './lib/http/service-options';
export { Metrics, METRICS } from './lib/metrics/metrics';
export { FastHistogram } from './lib/metrics/fast-histogram';
