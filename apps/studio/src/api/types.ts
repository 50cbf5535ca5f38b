// The gateway's shapes as Studio uses them (docs/api.md, docs/streams.md). They mirror
// libs/contracts by hand on purpose: that lib validates with zod on Node, and the typed SDK
// (@canopy/sdk) will replace this whole folder.

export type Status = 'IDLE' | 'RUNNING' | 'SUCCESS' | 'FAILURE';
export type ExecState = 'created' | 'running' | 'paused' | 'stopped' | 'completed';
export type Mode = 'manual' | 'auto' | 'interval' | 'event';

export interface Execution {
  id: string;
  tree: string;
  version: number;
  team?: string;
  mode: Mode;
  intervalMs?: number;
  maxTicks?: number;
  state: ExecState;
  status: Status;
  tick: number;
  createdAt: string;
  owner?: string;
}

export interface TreeSummary {
  name: string;
  version: number;
  nodeCount: number;
  createdAt: string;
  trees: string[];
}

export interface TreeRecord extends TreeSummary {
  source: string;
  definition: Record<string, unknown>;
}

/** One node of a built tree (`format=json` of the visualize routes). */
export interface TreeNode {
  id: string;
  type: string;
  name?: string;
  parentId?: string;
  childIds: string[];
  depth: number;
}

export interface TreeStructure {
  name: string;
  version: number;
  nodes: TreeNode[];
  statuses?: Record<string, Status>;
  tick?: number;
}

export interface Progress {
  execId: string;
  tick: number;
  step?: string;
  percent: number;
  elapsedMs: number;
  etaMs?: number | null;
  status?: string;
}

export interface BlackboardEntry {
  key: string;
  scope: string;
  value: unknown;
  version: number;
}

export interface PausedAt {
  tick: number;
  reason: 'breakpoint' | 'step' | 'watch' | 'request' | 'watchdog';
  nodeId?: string;
  when?: 'before' | 'after';
  status?: Status;
  breakpointId?: string;
  watchId?: string;
}

export interface Breakpoint {
  id: string;
  nodeId: string;
  when: 'before' | 'after';
  mode: 'break' | 'replace';
  status?: Status;
  condition?: string;
  once: boolean;
  enabled: boolean;
}

export type NewBreakpoint = Omit<Breakpoint, 'id' | 'once' | 'enabled' | 'when' | 'mode'> &
  Partial<Pick<Breakpoint, 'once' | 'enabled' | 'when' | 'mode'>>;

export interface Watch {
  id: string;
  key: string;
  condition?: string;
}

export interface DebugView {
  paused: boolean;
  pausedAt?: PausedAt;
  statuses: Record<string, Status>;
  blackboard: { global: Record<string, unknown>; team: Record<string, unknown>; exec: Record<string, unknown> };
  locals?: { scope: string; values: Record<string, unknown> }[];
  breakpoints: Breakpoint[];
  watches: Watch[];
}

export interface TickReply {
  tick: number;
  status: Status;
  state: ExecState;
  pausedAt?: PausedAt;
}

export interface HistoryEntry {
  tick: number;
  /** ms since the epoch */
  startedAt: number;
  durationMs: number;
  status: Status;
}

export interface TickState {
  execId: string;
  tick: number;
  tree: string;
  version: number;
  status: Status;
  statuses: Record<string, Status>;
  blackboard: Record<string, Record<string, unknown>>;
}

export interface TickDiff {
  execId: string;
  from: number;
  to: number;
  nodes: { id: string; from: Status; to: Status }[];
  blackboard: { scope: string; key: string; from?: unknown; to?: unknown }[];
}

export interface NodeStats {
  ticks: number;
  source?: string;
  nodes: { id: string; type?: string; name?: string; visits: number; timeMs: number; statuses: Record<string, number>; successRate?: number | null }[];
}

export type ReloadPolicy = 'let-finish-then-swap' | 'cancel-and-restart' | 'swap-now';

export interface ReloadReply {
  fromVersion: number;
  toVersion: number;
  policy: ReloadPolicy;
  pending: boolean;
  added: string[];
  removed: string[];
  kept: string[];
  droppedBreakpoints: Breakpoint[];
}

/** A positioned compile error (`details.errors` of COMPILE_FAILED). */
export interface SourceError {
  line: number;
  column: number;
  message: string;
  code?: string;
}

/** A message of a live stream: a runner event or a gateway message (`seq: -1`). */
export interface StreamEvent {
  type: string;
  execId: string;
  tick: number;
  seq: number;
  at?: string;
  data: Record<string, unknown>;
}

export interface CreateExecution {
  tree: string;
  id?: string;
  team?: string;
  mode?: Mode;
  intervalMs?: number;
  blackboard?: Record<string, unknown>;
}
