// Reads a Chromium trace (Playwright's browser.startTracing) and says what the renderer's main
// thread did: its top-level tasks, the ones over a limit, and each one's self time by kind
// (scripting, style, layout, paint, gc). Wall time against thread (CPU) time tells work from
// waiting for a core.

interface RawEvent {
  ph: string;
  name: string;
  cat?: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; data?: { functionName?: string; url?: string; lineNumber?: number; columnNumber?: number; type?: string } };
}

interface Span {
  name: string;
  ts: number;
  dur: number;
  tdur?: number;
  fn?: string;
  self: number;
  /** Thread time not spent in children (when the trace has thread times). */
  cpuSelf: number;
  children: Span[];
}

export type Kind = 'scripting' | 'style' | 'layout' | 'paint' | 'gc' | 'other';

export interface LongTask {
  wallMs: number;
  cpuMs?: number;
  byKind: Partial<Record<Kind, number>>;
  /** The events with the most self time in the task. */
  top: string[];
}

export interface TraceSummary {
  tasks: number;
  busyMs: number;
  busyCpuMs: number;
  /** Frames the renderer produced (its `Commit`s to the compositor). */
  frames: number;
  /** Self wall time by kind (waiting for a core included). */
  byKind: Partial<Record<Kind, number>>;
  /** Self thread (CPU) time by kind: the work itself. */
  cpuByKind: Partial<Record<Kind, number>>;
  long: LongTask[];
}

/** What a trace needs for the summary: tasks, the rendering steps, script entry points, thread times. */
export const TRACE_CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink.user_timing'];

const TOP_LEVEL = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);

export function kindOf(name: string): Kind {
  if (/^(UpdateLayoutTree|RecalculateStyles|ParseAuthorStyleSheet|StyleRecalc|InvalidateLayout|ScheduleStyleRecalculation)/.test(name)) return 'style';
  if (/^(Layout|UpdateLayout|LayoutShift)/.test(name)) return 'layout';
  if (/^(Paint|PrePaint|Layerize|UpdateLayer|Commit|CompositeLayers|Decode|Raster|PaintImage|ScrollLayer|UpdateLayerTree)/.test(name)) return 'paint';
  if (/GC|Gc/.test(name)) return 'gc';
  if (
    /^(FunctionCall|EvaluateScript|v8\.|V8\.|TimerFire|FireAnimationFrame|EventDispatch|RunMicrotasks|RequestAnimationFrame|XHR|WebSocket|HandlePostMessage|ParseHTML|CompileScript|CompileCode|EvaluateModule)/.test(
      name,
    )
  )
    return 'scripting';
  return 'other';
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Complete spans (X events, and B/E pairs) of one thread, nested by time. */
/** A script entry point as `name@file:line:column` (the file's last path segment). */
function entry(e: RawEvent): string | undefined {
  const d = e.args?.data;
  if (d?.functionName === undefined) return undefined;
  const file = d.url ? d.url.slice(d.url.lastIndexOf('/') + 1) : '';
  return file ? `${d.functionName}@${file}:${d.lineNumber ?? 0}:${d.columnNumber ?? 0}` : d.functionName;
}

function spansOf(events: RawEvent[]): Span[] {
  const flat: Span[] = [];
  const open: RawEvent[] = [];
  for (const e of events) {
    if (e.ph === 'X' && e.dur !== undefined) {
      const cpu = e.tdur ?? 0;
      flat.push({ name: e.name, ts: e.ts, dur: e.dur, tdur: e.tdur, fn: entry(e), self: e.dur, cpuSelf: cpu, children: [] });
    } else if (e.ph === 'B') open.push(e);
    else if (e.ph === 'E') {
      const b = open.pop();
      if (b) flat.push({ name: b.name, ts: b.ts, dur: e.ts - b.ts, self: e.ts - b.ts, cpuSelf: 0, fn: entry(b), children: [] });
    }
  }
  flat.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const roots: Span[] = [];
  const stack: Span[] = [];
  for (const s of flat) {
    while (stack.length > 0 && s.ts >= stack[stack.length - 1].ts + stack[stack.length - 1].dur) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.children.push(s);
      parent.self -= Math.min(s.dur, parent.self);
      parent.cpuSelf -= Math.min(s.tdur ?? 0, parent.cpuSelf);
    } else roots.push(s);
    stack.push(s);
  }
  return roots;
}

function walk(span: Span, visit: (s: Span) => void): void {
  visit(span);
  for (const c of span.children) walk(c, visit);
}

export function summarizeTrace(json: string, limitMs: number): TraceSummary {
  const parsed = JSON.parse(json) as { traceEvents?: RawEvent[] } | RawEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const mains = new Set(
    events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  const byThread = new Map<string, RawEvent[]>();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (!mains.has(key)) continue;
    let list = byThread.get(key);
    if (!list) byThread.set(key, (list = []));
    list.push(e);
  }
  // The page's renderer: the main thread that did the most.
  let best: Span[] = [];
  let bestBusy = -1;
  for (const list of byThread.values()) {
    const roots = spansOf(list).filter((s) => TOP_LEVEL.has(s.name));
    const busy = roots.reduce((sum, s) => sum + s.dur, 0);
    if (busy > bestBusy) [best, bestBusy] = [roots, busy];
  }
  const total: Partial<Record<Kind, number>> = {};
  const cpuTotal: Partial<Record<Kind, number>> = {};
  const long: LongTask[] = [];
  let busyCpu = 0;
  let frames = 0;
  for (const task of best) {
    busyCpu += task.tdur ?? 0;
    const kinds: Partial<Record<Kind, number>> = {};
    const names = new Map<string, number>();
    walk(task, (s) => {
      const kind = kindOf(s.name);
      kinds[kind] = (kinds[kind] ?? 0) + s.self / 1000;
      total[kind] = (total[kind] ?? 0) + s.self / 1000;
      cpuTotal[kind] = (cpuTotal[kind] ?? 0) + s.cpuSelf / 1000;
      if (s.name === 'Commit') frames += 1;
      const label = s.fn ? `${s.name}(${s.fn})` : s.name;
      names.set(label, (names.get(label) ?? 0) + s.self / 1000);
    });
    if (task.dur / 1000 > limitMs) {
      long.push({
        wallMs: round(task.dur / 1000),
        cpuMs: task.tdur === undefined ? undefined : round(task.tdur / 1000),
        byKind: Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, round(v)])),
        top: [...names.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 6)
          .map(([n, ms]) => `${n} ${round(ms)}`),
      });
    }
  }
  return {
    tasks: best.length,
    busyMs: Math.round(bestBusy / 1000),
    busyCpuMs: Math.round(busyCpu / 1000),
    frames,
    byKind: Object.fromEntries(Object.entries(total).map(([k, v]) => [k, Math.round(v)])),
    cpuByKind: Object.fromEntries(Object.entries(cpuTotal).map(([k, v]) => [k, Math.round(v)])),
    long,
  };
}
