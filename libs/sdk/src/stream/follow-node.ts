// The root entry's followExecution: on Node the `ws` package, which sends the credential as a
// header and shows the gateway's answer to a refused upgrade. Never imported by @canopy/sdk/rest.
import type { CanopyClient } from '../rest/client';
import { browserStream } from './browser-socket';
import { type FollowEnd, type FollowOptions, followOver } from './follow';
import { wsStream } from './ws-socket';

/** followExecution (stream/follow.ts) over `ws`, or over `opts.WebSocket` when given. */
export function followExecution(client: CanopyClient, opts: FollowOptions): Promise<FollowEnd> {
  const transport = opts.WebSocket
    ? browserStream(client, opts.WebSocket, opts.execId)
    : wsStream(client);
  return followOver(client, opts, transport);
}
