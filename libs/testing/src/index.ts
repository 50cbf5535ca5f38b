export { startNats, type NatsHandle, type NatsServerOptions } from './lib/nats-server';
export { startRedis, type RedisHandle, type RedisServerOptions } from './lib/redis-server';
export { startTestInfra, type TestInfra, type TestInfraOptions } from './lib/test-infra';
export {
  credentialsEnv,
  makeBrokerUsers,
  natsAuthorizationOf,
  redisAclOf,
  TEST_ADMIN_USER,
  type BrokerUsers,
  type Credentials,
} from './lib/broker-users';
export type { ServerHandle } from './lib/start-server';
export { getFreePort } from './lib/free-port';
export { pollUntil, waitFor, type PollOptions } from './lib/poll';
export { makeLogDir } from './lib/temp-dir';
export { RecordingSpanExporter } from './lib/recording-span-exporter';
export { OtlpTraceReceiver, type ReceivedSpan, type ReceivedSpanKind } from './lib/otlp-receiver';
export {
  describeExit,
  REPO_ROOT,
  ServiceProcess,
  type Exit,
  type ServiceApp,
  type ServiceSpec,
} from './lib/service-process';
export {
  DEFAULT_READY_TIMEOUT_MS,
  startService,
  type StartServiceOptions,
} from './lib/start-service';
export { startStack, type Stack, type StackOptions } from './lib/stack';
export { runnerStatus, waitForShards, type RunnerStatus } from './lib/runner-status';
export { GatewayApi, type ApiResponse } from './lib/gateway-api';
export {
  histogramDelta,
  histogramQuantile,
  metricDelta,
  parseMetrics,
  type HistogramDelta,
  type MetricSamples,
} from './lib/prometheus';
export {
  exitWithin,
  sigtermWithBrokersDown,
  spawnService,
  type LogLine,
  type SigtermWithBrokersDownOptions,
  type SpawnedService,
} from './lib/spawned-service';
export { startFakeLlm, type FakeAnswer, type FakeLlm, type FakeToolCall } from './lib/fake-llm';
export { authHeaders, GATEWAY_AUTH_ENV, TEST_ADMIN_KEY } from './lib/auth';
export { startMcpServer, type TestMcpServer } from './lib/mcp-server';
