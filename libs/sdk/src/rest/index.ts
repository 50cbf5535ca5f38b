// @canopy/sdk/rest: the browser-safe entry (Studio uses it). Only `fetch` and a WHATWG WebSocket
// at run time: no Node built-ins, NATS, OpenTelemetry, `ws` or pino, and no workspace library
// (contracts come in as types only). libs/sdk/test/package.spec.ts walks its built import graph.
export {
  CanopyClient,
  createCanopyClient,
  unwrap,
  type CanopyClientOptions,
  type CanopyPaths,
  type CanopyRest,
  type RestAnswer,
  type RestBody,
} from './client';
export { CanopyError, CanopyUnreachable } from './errors';
export type { components, operations, paths } from '../generated/openapi';
// The live stream over a WHATWG WebSocket (the global one unless `WebSocket` is given).
export {
  followExecution,
  TERMINAL_EVENTS,
  type FollowEnd,
  type FollowOptions,
  type StreamNotice,
} from '../stream/follow';
export type { WebSocketConstructor, WebSocketLike } from '../stream/browser-socket';
export {
  isRunnerEvent,
  TICK_EVENT_TYPES,
  type GapMessage,
  type GatewayMessage,
  type HistoryTickMessage,
  type RunnerEvent,
  type StreamMessage,
} from '../stream/messages';
