// REST: every gateway route, typed from its OpenAPI document.
export {
  CanopyClient,
  createCanopyClient,
  unwrap,
  type CanopyClientOptions,
  type CanopyPaths,
  type CanopyRest,
  type RestAnswer,
  type RestBody,
} from './rest/client';
export { CanopyError, CanopyUnreachable } from './rest/errors';
export type { components, operations, paths } from './generated/openapi';
// The live stream (WebSocket) with reconnect and resume; over the `ws` package by default.
export { followExecution } from './stream/follow-node';
export {
  TERMINAL_EVENTS,
  type FollowEnd,
  type FollowOptions,
  type StreamNotice,
} from './stream/follow';
export type { WebSocketConstructor, WebSocketLike } from './stream/browser-socket';
export {
  isRunnerEvent,
  TICK_EVENT_TYPES,
  type GapMessage,
  type GatewayMessage,
  type HistoryTickMessage,
  type RunnerEvent,
  type StreamMessage,
} from './stream/messages';
// NATS: tick records and events.
export {
  connectCanopyNats,
  subscribeEvents,
  subscribeTicks,
  type CanopyNatsOptions,
  type EventSubscriptionOptions,
  type TickSubscriptionOptions,
} from './nats/subscriptions';
// Remote actions.
export { ActionWorker, type ActionWorkerOptions } from './worker/action-worker';
export type { ActionContext, ActionHandler, ActionOutcome } from './worker/action-handler';
// The shapes the routes and subjects carry.
export type {
  EventEnvelope,
  EventPayloads,
  EventType,
  Execution,
  TickRecordMessage,
  TickSummary,
  TreeSummary,
} from '@canopy/contracts';
