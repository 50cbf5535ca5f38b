// The gateway's shapes as Studio uses them, named from the SDK's types (generated from the
// gateway's OpenAPI document, libs/sdk/src/generated/openapi.ts). Hand-written only where the
// document has no schema: the `format=json` tree structure, a compile error's `details.errors`,
// and the live stream's messages (docs/streams.md).
import type { RestAnswer, RestBody } from '@canopy/sdk/rest';

export type Execution = RestAnswer<'/executions/{id}', 'get'>;
export type Status = Execution['status'];
export type ExecState = Execution['state'];
export type Mode = Execution['mode'];
export type CreateExecution = RestBody<'/executions', 'post'>;
export type TreeSummary = RestAnswer<'/trees', 'get'>[number];
export type Progress = RestAnswer<'/executions/{id}/progress', 'get'>;
export type BlackboardEntry = RestAnswer<'/blackboard/{scope}/keys/{key}', 'get'>;

export type DebugView = RestAnswer<'/executions/{id}/debug', 'get'>;
export type PausedAt = NonNullable<DebugView['pausedAt']>;
export type Breakpoint = DebugView['breakpoints'][number];
export type Watch = DebugView['watches'][number];

export type HistoryEntry = RestAnswer<'/executions/{id}/history', 'get'>[number];
export type TickDiff = RestAnswer<'/executions/{id}/history/diff', 'get'>;
export type ReloadPolicy = NonNullable<RestBody<'/executions/{id}/tree', 'put'>['policy']>;

/** One node of a built tree (`format=json` of the visualize routes; no schema in the document). */
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
