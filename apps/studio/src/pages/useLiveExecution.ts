import { useEffect, useReducer, useRef } from 'react';
import { executionStream } from '../api/streams';
import type { StreamEvent } from '../api/types';
import { initialLive, liveReducer, type LiveAction, type LiveState, openTickStart } from '../lib/live';

/** How long a tick's first events wait for the rest of the tick (a 10 Hz tick takes 100 ms). */
const TICK_HOLD_MS = 150;

/**
 * The execution's WebSocket folded into LiveState. Messages are batched per animation frame, and
 * a tick whose events straddle frames is applied in the frame its `tick_complete` arrives (up to
 * TICK_HOLD_MS later): a tick of a big tree is hundreds of node_update events, and one render and
 * one repaint per tick keeps the main thread free (docs/performance.md, "Studio").
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
    /** When the tick now held back was first held. */
    let heldSince: number | undefined;
    const flush = () => {
      frame = undefined;
      const cut = openTickStart(pending);
      const now = performance.now();
      let events: StreamEvent[];
      if (cut < pending.length && !(cut === 0 && heldSince !== undefined && now - heldSince >= TICK_HOLD_MS)) {
        if (cut > 0 || heldSince === undefined) heldSince = now;
        events = pending.slice(0, cut);
        pending = pending.slice(cut);
        frame = requestAnimationFrame(flush);
      } else {
        events = pending;
        pending = [];
        heldSince = undefined;
      }
      if (events.length === 0) return;
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
