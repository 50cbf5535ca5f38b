import { useEffect, useRef, useState } from 'react';
import { byId, rest, unwrap } from '../api/client';
import { allExecutionsStream } from '../api/streams';
import type { Execution } from '../api/types';
import { needsPoll, POLL_MS, progressFromEvent, type ProgressEntry } from '../lib/progress';

/** Live progress of the listed executions; `onLifecycle` is told when a pushed event says one changed. */
export function useProgress(executions: readonly Execution[], onLifecycle: () => void): ReadonlyMap<string, ProgressEntry> {
  const [entries, setEntries] = useState<ReadonlyMap<string, ProgressEntry>>(new Map());
  const ref = useRef(entries);
  ref.current = entries;
  const lifecycle = useRef(onLifecycle);
  lifecycle.current = onLifecycle;
  const list = useRef(executions);
  list.current = executions;

  useEffect(() => {
    const stream = allExecutionsStream({
      onMessage: (e) => {
        const progress = progressFromEvent(e);
        if (progress) {
          setEntries((m) => new Map(m).set(progress.execId, { progress, pushedAt: Date.now() }));
        } else if (e.type.startsWith('execution_')) {
          lifecycle.current();
        }
      },
    });
    return () => stream.close();
  }, []);

  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      const ids = needsPoll(list.current, ref.current, Date.now());
      const results = await Promise.allSettled(ids.map((id) => unwrap(rest.GET('/executions/{id}/progress', byId(id)))));
      if (stopped) return;
      setEntries((m) => {
        const next = new Map(m);
        results.forEach((r) => {
          if (r.status === 'fulfilled') next.set(r.value.execId, { progress: r.value });
        });
        return next;
      });
    };
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return entries;
}
