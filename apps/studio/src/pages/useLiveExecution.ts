import { useEffect, useReducer, useRef } from 'react';
import { executionStream } from '../api/streams';
import type { StreamEvent } from '../api/types';
import { initialLive, liveReducer, type LiveAction, type LiveState, TickBatcher } from '../lib/live';

/**
 * The execution's WebSocket folded into LiveState, a batch at a time (TickBatcher): one per
 * animation frame at most, and a tick whole, in the frame after its `tick_complete` arrived. A
 * tick of a big tree is hundreds of node_update events; one render and one repaint per tick keeps
 * the main thread free (docs/performance.md, "Studio").
 */
export function useLiveExecution(
  id: string,
  onEvents: (events: StreamEvent[]) => void,
): [LiveState, (action: LiveAction) => void, boolean] {
  const [state, dispatch] = useReducer(liveReducer, initialLive);
  const [connected, setConnected] = useReducer((_: boolean, v: boolean) => v, false);
  const listener = useRef(onEvents);
  listener.current = onEvents;
  useEffect(() => {
    const batcher = new TickBatcher((events) => {
      dispatch({ kind: 'events', events });
      listener.current(events);
    });
    const stream = executionStream(id, {
      onMessage: (e) => batcher.push(e),
      onState: (s) => setConnected(s === 'open'),
    });
    return () => {
      stream.close();
      batcher.close();
    };
  }, [id]);
  return [state, dispatch, connected];
}
