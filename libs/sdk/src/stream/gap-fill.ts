import type { TickSummary } from '@canopy/contracts';
import { type CanopyClient, unwrap } from '../rest/client';
import type { GapMessage, HistoryTickMessage } from './messages';

const PAGE = 1000; // the route's largest `limit`
const RETRY_MS = 200;

export interface GapFillOptions {
  /** How long history may take to store the gap's last tick (it consumes asynchronously). */
  waitMs: number;
  signal: AbortSignal;
}

/**
 * The ticks `from`..`to` of an execution, from its history (`GET /executions/:id/history`), as
 * `history_tick` messages in tick order; the ticks history does not hold (dropped by retention,
 * deleted, or not stored within `waitMs`; no history service) as `gap` messages where they fall.
 * History stores records shortly after the runner publishes them, so until it holds `to` (or
 * something after it) the read is repeated.
 */
export async function fillFromHistory(
  client: CanopyClient,
  execId: string,
  from: number,
  to: number,
  opts: GapFillOptions,
): Promise<Array<HistoryTickMessage | GapMessage>> {
  const deadline = Date.now() + opts.waitMs;
  let entries: TickSummary[] = [];
  let failure = 'history does not hold these ticks';
  for (;;) {
    try {
      entries = await readRange(client, execId, from, to, opts.signal);
      if (entries.at(-1)?.tick === to) break;
    } catch (error) {
      failure = `history unavailable: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() >= deadline || opts.signal.aborted) break;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  const out: Array<HistoryTickMessage | GapMessage> = [];
  let next = from;
  const gap = (end: number) => {
    if (end >= next)
      out.push({
        type: 'gap',
        execId,
        tick: end,
        seq: -1,
        data: { from: next, to: end, reason: failure },
      });
  };
  for (const entry of entries) {
    gap(entry.tick - 1);
    out.push({ type: 'history_tick', execId, tick: entry.tick, seq: -1, data: entry });
    next = entry.tick + 1;
  }
  gap(to);
  return out;
}

async function readRange(
  client: CanopyClient,
  execId: string,
  from: number,
  to: number,
  signal: AbortSignal,
): Promise<TickSummary[]> {
  const all: TickSummary[] = [];
  for (let start = from; start <= to;) {
    const page = await unwrap(
      client.rest.GET('/executions/{id}/history', {
        params: { path: { id: execId }, query: { from: start, to, limit: PAGE } },
        signal,
      }),
    );
    all.push(...page);
    if (page.length < PAGE) break;
    start = page[page.length - 1].tick + 1;
  }
  return all;
}
