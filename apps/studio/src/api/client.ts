// Every REST call Studio makes, in one place (the typed SDK, @canopy/sdk, will replace it).
import { storedKey } from './auth';
import type {
  BlackboardEntry,
  Breakpoint,
  CreateExecution,
  DebugView,
  Execution,
  HistoryEntry,
  NewBreakpoint,
  NodeStats,
  Progress,
  ReloadPolicy,
  ReloadReply,
  TickDiff,
  TickReply,
  TickState,
  TreeRecord,
  TreeStructure,
  TreeSummary,
  Watch,
} from './types';

/** The gateway's error shape, `{error: {code, message, line?, column?, details?}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: { line?: number; column?: number; details?: Record<string, unknown> } = {},
  ) {
    super(message);
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called on every 401: Studio asks for a key. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function currentKey(): string | undefined {
  return storedKey(sessionStorage);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const key = currentKey();
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    if (res.status === 401) unauthorizedListeners.forEach((l) => l());
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(
      res.status,
      error?.code ?? `HTTP_${res.status}`,
      error?.message ?? res.statusText,
      (error ?? {}) as ApiError['body'],
    );
  }
  return parsed as T;
}

const enc = encodeURIComponent;
const exec = (id: string) => `/executions/${enc(id)}`;
/** Node ids and blackboard keys may hold `/`: the routes take it as is (docs/api.md). */
const pathOf = (s: string) => s.split('/').map(enc).join('/');

export const api = {
  trees: () => request<TreeSummary[]>('GET', '/trees'),
  tree: (name: string, version?: number) =>
    request<TreeRecord>('GET', version ? `/trees/${enc(name)}/versions/${version}` : `/trees/${enc(name)}`),
  treeStructure: (name: string, version?: number) =>
    request<TreeStructure>('GET', `/trees/${enc(name)}/visualize?format=json${version ? `&version=${version}` : ''}`),
  checkTree: (source: string, file?: string) =>
    request<{ ok: true; trees: string[]; nodeCount: number }>('POST', '/trees/check', { source, file }),

  executions: (query: { tree?: string; state?: string } = {}) => {
    const q = new URLSearchParams({ limit: '1000' });
    if (query.tree) q.set('tree', query.tree);
    if (query.state) q.set('state', query.state);
    return request<Execution[]>('GET', `/executions?${q}`);
  },
  execution: (id: string) => request<Execution>('GET', exec(id)),
  create: (body: CreateExecution) => request<Execution>('POST', '/executions', body),
  remove: (id: string) => request<{ deleted: true }>('DELETE', exec(id)),
  tick: (id: string, count = 1) => request<TickReply>('POST', `${exec(id)}/tick`, { count }),
  start: (id: string, mode: 'auto' | 'interval' | 'event', intervalMs?: number) =>
    request<Execution>('POST', `${exec(id)}/start`, { mode, intervalMs }),
  pause: (id: string) => request<Execution>('POST', `${exec(id)}/pause`),
  resume: (id: string) => request<Execution>('POST', `${exec(id)}/resume`),
  stop: (id: string) => request<Execution>('POST', `${exec(id)}/stop`),
  reload: (id: string, source: string, policy: ReloadPolicy) =>
    request<ReloadReply>('PUT', `${exec(id)}/tree`, { source, policy }),

  debug: (id: string) => request<DebugView>('GET', `${exec(id)}/debug`),
  step: (id: string, mode: 'into' | 'over' | 'out' | 'continue') =>
    request<DebugView>('POST', `${exec(id)}/step`, { mode }),
  addBreakpoint: (id: string, bp: NewBreakpoint) => request<Breakpoint>('POST', `${exec(id)}/breakpoints`, bp),
  removeBreakpoints: (id: string, nodeId: string) =>
    request<{ removed: Breakpoint[] }>('DELETE', `${exec(id)}/breakpoints/${pathOf(nodeId)}`),
  addWatch: (id: string, key: string, condition?: string) =>
    request<Watch>('POST', `${exec(id)}/watches`, { key, condition: condition || undefined }),
  removeWatch: (id: string, watchId: string) =>
    request<{ removed: Watch }>('DELETE', `${exec(id)}/watches/${enc(watchId)}`),

  blackboard: (scope: string) => request<BlackboardEntry[]>('GET', `/blackboard/${scope}`),
  blackboardKey: (scope: string, key: string) =>
    request<BlackboardEntry>('GET', `/blackboard/${scope}/keys/${pathOf(key)}`),
  /** Compare-and-set: 409 VERSION_CONFLICT when the key moved past `version`. */
  setKey: (scope: string, key: string, value: unknown, version: number) =>
    request<BlackboardEntry>('PUT', `/blackboard/${scope}/keys/${pathOf(key)}`, { value, version }),

  /** The last 1,000 ticks up to `lastTick` (the route answers oldest first). */
  history: (id: string, lastTick: number) =>
    request<HistoryEntry[]>('GET', `${exec(id)}/history?limit=1000&from=${Math.max(1, lastTick - 999)}`),
  tickState: (id: string, tick: number) => request<TickState>('GET', `${exec(id)}/history/${tick}`),
  diff: (id: string, from: number, to: number) =>
    request<TickDiff>('GET', `${exec(id)}/history/diff?from=${from}&to=${to}`),
  fork: (id: string, fromTick: number, newId?: string) =>
    request<Execution>('POST', `${exec(id)}/fork`, { fromTick, id: newId || undefined }),
  nodeStats: (id: string) => request<NodeStats>('GET', `${exec(id)}/stats/nodes`),
  progress: (id: string) => request<Progress>('GET', `${exec(id)}/progress`),
};
