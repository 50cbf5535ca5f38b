import type { EventEnvelope, EventType, TickSummary } from '@canopy/contracts';

/**
 * One message of the live stream (docs/streams.md): a runner event, a gateway message
 * (`snapshot`, `dropped`, `subscribed`, `error`, `seq: -1`), or one the SDK adds when it fills a
 * disconnection from history (`history_tick`, `gap`, `seq: -1`; docs/sdk.md).
 */
export type StreamMessage = RunnerEvent | GatewayMessage | HistoryTickMessage | GapMessage;

/** A runner event, discriminated by `type` (so `data` narrows with it). */
export type RunnerEvent = { [T in EventType]: EventEnvelope<T> }[EventType];

export interface GatewayMessage {
  type: 'snapshot' | 'dropped' | 'subscribed' | 'error';
  execId: string;
  tick: number;
  seq: number;
  at?: string;
  data: Record<string, unknown>;
}

/** A tick that happened while the stream was down, from `GET /executions/:id/history`. */
export interface HistoryTickMessage {
  type: 'history_tick';
  execId: string;
  tick: number;
  seq: -1;
  data: TickSummary;
}

/** Ticks `from`..`to` that happened while the stream was down and history could not give. */
export interface GapMessage {
  type: 'gap';
  execId: string;
  /** = `data.to` */
  tick: number;
  seq: -1;
  data: { from: number; to: number; reason: string };
}

/**
 * The events a tick produces (published with that tick's number, before the next tick starts):
 * history's entry for a tick stands for all of them.
 */
export const TICK_EVENT_TYPES: ReadonlySet<string> = new Set<EventType>([
  'tick_start',
  'node_update',
  'blackboard_update',
  'log',
  'progress',
  'error',
  'node_stuck',
  'tick_overrun',
  'tick_complete',
]);

export function isRunnerEvent(message: StreamMessage): message is RunnerEvent {
  return message.seq >= 0;
}
