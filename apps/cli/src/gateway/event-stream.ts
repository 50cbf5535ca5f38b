import { followExecution, type EventType, type FollowEnd } from '@canopy/sdk';
import type { GatewayClient } from './client';
import type { StreamMessage } from './format-event';

export type { FollowEnd };

export interface FollowOptions {
  client: GatewayClient;
  execId: string;
  /** Event types asked of the gateway (`events=`); all when absent. */
  events?: readonly string[];
  signal: AbortSignal;
  /** Return once the execution is stopped or completed (`tail`); `dev` follows on. */
  untilTerminal: boolean;
  /** Every message, in order, each event once; `raw` is the text the gateway sent. */
  onMessage(message: StreamMessage, raw: string): void;
  /** Connection news for the user (lost, reconnected, what was missed). */
  onNotice(text: string): void;
}

/**
 * Follows an execution's live stream with @canopy/sdk's `followExecution` (docs/sdk.md): it
 * reconnects when the connection drops, and the ticks that happened meanwhile come from history
 * as `history_tick` messages before the live events go on.
 */
export function followEvents(opts: FollowOptions): Promise<FollowEnd> {
  return followExecution(opts.client.sdk, {
    execId: opts.execId,
    events: opts.events as readonly EventType[] | undefined,
    signal: opts.signal,
    untilTerminal: opts.untilTerminal,
    onMessage: (message, raw) => opts.onMessage(message as unknown as StreamMessage, raw),
    onNotice: (notice) => opts.onNotice(notice.text),
  });
}
