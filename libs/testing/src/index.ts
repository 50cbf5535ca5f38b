export { startNats, type NatsHandle, type NatsServerOptions } from './lib/nats-server';
export { startRedis, type RedisHandle, type RedisServerOptions } from './lib/redis-server';
export { startTestInfra, type TestInfra } from './lib/test-infra';
export type { ServerHandle } from './lib/start-server';
export { getFreePort } from './lib/free-port';
export { RecordingSpanExporter } from './lib/recording-span-exporter';
