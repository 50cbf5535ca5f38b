export { startTelemetry, type Telemetry, type TelemetryOptions } from './lib/sdk';
export { createLogger, type Logger, type LoggerOptions } from './lib/logger';
export { PinoNestLogger } from './lib/nest-logger';
export { withSpan, type WithSpanOptions } from './lib/spans';
export { injectTraceHeaders, contextFromHeaders } from './lib/propagation';
export {
  TracedNats,
  type JsPublishOptions,
  type MessageHandler,
  type RequestOptions,
  type SendOptions,
  type SubscribeOptions,
} from './lib/traced-nats';
export {
  JetStreamPublishError,
  type PublishFailure,
  type StreamAck,
} from './lib/jetstream-acks';
export { NatsRequestError, type NatsRequestFailure } from './lib/nats-request-error';
export { respondBytes } from './lib/chunked-reply';
