import type { BlackboardEntry, BbDeleteRequest, BbGetRequest, BbListPage, BbListRequest, BbPutRequest } from './blackboard';
import type { Breakpoint, DebugView, RemovedBreakpoints, Watch } from './debug';
import type { TriggerResponse } from './events';
import type { Command, CreateExecutionRequest, Execution, TickResponse } from './executions';
import type {
  BlackboardStats,
  ExecutionStats,
  HistoryDeleted,
  HistoryForkRequest,
  HistoryListRequest,
  NodeStatsReply,
  Progress,
  TickDiff,
  TickState,
  TickSummary,
  TimelineEntry,
} from './history';
import type { ActionReply, ActionRequest } from './messages';
import type { ReloadReply } from './reload-reply';
import type { RegisterTreeRequest, TreeRecord, TreeSummary } from './trees';
import type { Subjects } from './names';

/**
 * Request/reply subjects paired with their payloads at compile time, for both caller and handler.
 * Every reply may instead be an ErrorBody.
 */
export interface RequestMap {
  [Subjects.treesRegister]: { req: RegisterTreeRequest & { name?: string }; res: TreeSummary };
  [Subjects.treesList]: { req: Record<string, never>; res: TreeSummary[] };
  [Subjects.treesGet]: { req: { name: string; version?: number }; res: TreeRecord };
  [Subjects.execCreate]: { req: CreateExecutionRequest; res: Execution };
  [Subjects.execList]: { req: { tree?: string; state?: string; limit?: number }; res: Execution[] };
  [Subjects.execGet]: { req: { id: string }; res: Execution };
  [Subjects.execDelete]: { req: { id: string }; res: { deleted: true } };
  [Subjects.bbGet]: { req: BbGetRequest; res: BlackboardEntry };
  [Subjects.bbPut]: { req: BbPutRequest; res: BlackboardEntry };
  [Subjects.bbDelete]: { req: BbDeleteRequest; res: { deleted: true; version: number } };
  [Subjects.bbList]: { req: BbListRequest; res: BbListPage };
  [Subjects.historyList]: { req: Partial<HistoryListRequest> & { id: string }; res: TickSummary[] };
  [Subjects.historyGet]: { req: { id: string; tick: number }; res: TickState };
  [Subjects.historyDiff]: { req: { id: string; from: number; to: number }; res: TickDiff };
  [Subjects.historyDelete]: { req: { id: string }; res: HistoryDeleted };
  [Subjects.historyStats]: { req: { id: string }; res: ExecutionStats };
  [Subjects.historyNodes]: { req: { id: string }; res: NodeStatsReply };
  [Subjects.historyTimeline]: {
    req: Partial<HistoryListRequest> & { id: string };
    res: TimelineEntry[];
  };
  [Subjects.historyBlackboard]: { req: { id: string }; res: BlackboardStats };
  [Subjects.historyProgress]: { req: { id: string }; res: Progress };
  [Subjects.historyFork]: {
    req: Omit<HistoryForkRequest, 'mode'> & { mode?: HistoryForkRequest['mode'] };
    res: Execution;
  };
}

export type RequestSubject = keyof RequestMap;
export type RequestOf<S extends RequestSubject> = RequestMap[S]['req'];
export type ReplyOf<S extends RequestSubject> = RequestMap[S]['res'];

/** Replies of owner commands, by command type. */
export interface CommandReplies {
  tick: TickResponse;
  start: Execution;
  pause: Execution;
  resume: Execution;
  stop: Execution;
  get: Execution;
  load: Execution;
  unload: { unloaded: true };
  /** `{queued: true}` for a bare wake; TriggerResponse for a trigger carrying an `event`. */
  trigger: { queued: true } | TriggerResponse;
  debug: DebugView;
  'breakpoint.add': Breakpoint;
  'breakpoint.remove': RemovedBreakpoints;
  'watch.add': Watch;
  'watch.remove': { removed: Watch };
  /** Where the step stopped (or `paused: false` when it ran on). */
  step: DebugView;
  reload: ReloadReply;
}
export type CommandReply<C extends Command> = C extends { type: 'trigger'; event: object }
  ? TriggerResponse
  : CommandReplies[C['type']];

export interface ActionExchange {
  req: ActionRequest;
  res: ActionReply;
}
