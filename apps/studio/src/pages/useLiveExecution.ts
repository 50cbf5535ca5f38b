import { useEffect, useReducer, useRef } from 'react';
import { executionStream } from '../api/streams';
import type { StreamEvent } from '../api/types';
import { initialLive, liveReducer, type LiveAction, type LiveState, openTickStart } from '../lib/live';

/**
 * How long a tick's first events wait for the rest of the tick. The runner publishes a tick's
 * events together once the tick is done (tick_start ... tick_complete), so the wait is only their
 * transit and this page's turn to read them; the bound is for a page that has fallen far behind.
 */
const TICK_HOLD_MS = 250;

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
    // Set while a tick is held back; when it fires, whatever is pending goes out anyway.
    let holdTimer: ReturnType<typeof setTimeout> | undefined;
    let holdExpired = false;
    const schedule = () => {
      frame ??= requestAnimationFrame(flush);
    };
    const flush = () => {
      frame = undefined;
      const cut = holdExpired ? pending.length : openTickStart(pending);
      const events = pending.slice(0, cut);
      pending = pending.slice(cut);
      if (pending.length === 0 || cut > 0) {
        clearTimeout(holdTimer);
        holdTimer = undefined;
        holdExpired = false;
      }
      if (pending.length > 0) {
        holdTimer ??= setTimeout(() => {
          holdExpired = true;
          schedule();
        }, TICK_HOLD_MS);
      }
      if (events.length === 0) return;
      dispatch({ kind: 'events', events });
      listener.current(events);
    };
    const stream = executionStream(id, {
      onMessage: (e) => {
        pending.push(e);
        // A held tick wakes the page again with its tick_complete, not with each of its events.
        if (holdTimer === undefined || e.type === 'tick_complete') schedule();
      },
      onState: (s) => setConnected(s === 'open'),
    });
    return () => {
      stream.close();
      if (frame !== undefined) cancelAnimationFrame(frame);
      clearTimeout(holdTimer);
    };
  }, [id]);
  return [state, dispatch, connected];
}
