import { useEffect, useReducer, useRef } from 'react';
import { executionStream } from '../api/streams';
import type { StreamEvent } from '../api/types';
import { initialLive, liveReducer, type LiveAction, type LiveState } from '../lib/live';

/**
 * The execution's WebSocket folded into LiveState. Messages are batched per animation frame: a
 * tick of a big tree is hundreds of node_update events, and one render per frame keeps the main
 * thread free (docs/performance.md, "Studio").
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
    let pending: StreamEvent[] = [];
    let frame: number | undefined;
    const flush = () => {
      frame = undefined;
      const events = pending;
      pending = [];
      dispatch({ kind: 'events', events });
      listener.current(events);
    };
    const stream = executionStream(id, {
      onMessage: (e) => {
        pending.push(e);
        frame ??= requestAnimationFrame(flush);
      },
      onState: (s) => setConnected(s === 'open'),
    });
    return () => {
      stream.close();
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, [id]);
  return [state, dispatch, connected];
}
