/**
 * The engine's runtime contract: what a host (the CLI, a tick-runner, a test) gives the engine and
 * what it gets back. The engine never performs I/O; hosts supply clocks, blackboard storage and
 * actions, and persist what the engine reports.
 */

export type Status = 'IDLE' | 'RUNNING' | 'SUCCESS' | 'FAILURE';

/** Time source in milliseconds. Read once per tick, so every node in a tick sees the same time. */
export interface Clock {
  now(): number;
}

/** The persistent scopes. Subtree and loop scopes are local to the engine (part of its checkpoint). */
export type StoreScope = 'global' | 'team' | 'exec';

/**
 * Synchronous, in-memory view of the persistent scopes. The engine writes through it during a tick
 * (so reads see the tick's own writes) and reports every write in the TickRecord; the host then
 * persists those writes. Outside writes must be applied by the host between ticks only.
 * `undefined` means "no such key".
 */
export interface BlackboardStore {
  get(scope: StoreScope, key: string): unknown;
  has(scope: StoreScope, key: string): boolean;
  set(scope: StoreScope, key: string, value: unknown): void;
  delete(scope: StoreScope, key: string): void;
  /**
   * Every key of a scope, as plain JSON-safe values. Needed only by the debugger (`tree.debug()`):
   * a tick that pauses freezes the scopes it can see, so that the rest of the tick, whenever and
   * wherever it runs, reads them as they were when the tick began. A copy or a view that the
   * host does not change afterwards; values are never mutated by the engine.
   */
  snapshot?(scope: StoreScope): Record<string, unknown>;
}

/** What an action may answer. `undefined`/`true` mean SUCCESS, `false` FAILURE. */
export type ActionOutcome = 'SUCCESS' | 'FAILURE' | 'RUNNING' | boolean | void | ActionResult;

/**
 * A status with data: `(action NAME ... :into "key")` writes `output` to the key in the tick that
 * observes the result (also with RUNNING: partial results). Without `:into` the output is unused.
 */
export interface ActionResult {
  status: 'SUCCESS' | 'FAILURE' | 'RUNNING';
  output?: unknown;
}

/** Codes an action's failure can carry into the tick record (`ActionError`). */
export type ActionErrorCode = 'ACTION_FAILED' | 'ACTION_TIMEOUT' | 'ACTION_UNAVAILABLE';

/**
 * Thrown (or rejected) by an action, or a host's remote-action resolver, to fail the node with a
 * specific code and message in the record: a timeout, nobody serving the action, a worker's own
 * failure. Anything else thrown is ACTION_FAILED.
 */
export class ActionError extends Error {
  constructor(
    readonly code: ActionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ActionError';
  }
}

export interface ActionContext {
  readonly execId: string;
  readonly nodeId: string;
  readonly tick: number;
  /** Unique per invocation and stable across a checkpoint/restore of the same invocation. */
  readonly invocationId: string;
  /** Aborted when the node is halted. */
  readonly signal: AbortSignal;
}

/**
 * A registered action. Returning a Promise makes the node RUNNING until it settles (the tick never
 * waits); a synchronous `RUNNING` makes the engine call it again next tick.
 */
export type ActionFn = (
  args: Readonly<Record<string, unknown>>,
  ctx: ActionContext,
) => ActionOutcome | Promise<ActionOutcome>;

/** Resolves action names; a host may answer any name (remote actions over NATS). */
export interface ActionResolver {
  resolve(name: string): ActionFn | undefined;
}

/** A tool the model may call: `parameters` is a JSON Schema of its arguments (an object). */
export interface LlmTool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

/** A tool call the model made; `arguments` is the parsed JSON (the raw text if it does not parse). */
export interface LlmToolCall {
  id: string;
  name: string;
  arguments: unknown;
}

/**
 * One message of a conversation, provider-neutral, as `:conversation` keeps it on the
 * blackboard: a user prompt, an assistant answer (with the tool calls it made), or a tool result
 * (`toolCallId`: the call it answers).
 */
export interface LlmMessage {
  role: 'user' | 'assistant' | 'tool';
  content: string;
  toolCalls?: LlmToolCall[];
  toolCallId?: string;
}

export interface LlmRequest {
  /** The prompt: the last user message (after `messages`). Empty when `messages` ends the request. */
  prompt: string;
  /** The conversation before `prompt`, oldest first. */
  messages?: LlmMessage[];
  tools?: LlmTool[];
  system?: string;
  /** The node's `:provider` (`openai` | `anthropic`); the host's default when absent. */
  provider?: string;
  model?: string;
  maxTokens?: number;
}

/** What one finished call used, as the provider reported it. */
export interface LlmUsage {
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
}

export interface LlmResult {
  text: string;
  /** Input plus output tokens. */
  tokens: number;
  usage?: LlmUsage;
  /** The tools the model asked to call (only when the request had `tools`). */
  toolCalls?: LlmToolCall[];
}

/** Codes a provider's failure can carry into the tick record (`LlmError`). */
export type LlmErrorCode = 'LLM_FAILED' | 'BUDGET_EXCEEDED';

/**
 * Thrown (or rejected) by a provider to fail the call with a specific code: BUDGET_EXCEEDED
 * (a host's token budget is spent) is not retried by the node's `:retries`.
 */
export class LlmError extends Error {
  constructor(
    readonly code: LlmErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}

/** A language-model provider. `onToken` streams partial output; the engine applies it between ticks. */
export type LlmProvider = (
  req: LlmRequest,
  ctx: { signal: AbortSignal; onToken(text: string): void },
) => Promise<LlmResult>;

/**
 * An external event given to a tick (DESIGN.md "External events"): `(events)` lists the tick's
 * batch, `(event "name")` reads the payload of the last one named so, `(on-event "name" C)`
 * starts its child on one. Plain JSON; `payload` is `null` when the sender gave none.
 */
export interface ExternalEvent {
  name: string;
  payload: unknown;
  /** When the host accepted it (ms since the epoch). */
  at: number;
}

/** What a host may give one tick (`tree.tick(options)`, `debugger.step(mode, options)`). */
export interface TickOptions {
  /**
   * The tick's batch of external events, oldest first; none when absent. The engine neither
   * copies nor changes it: the host must not change it while the tick (or a debugger's paused
   * tick) holds it.
   */
  events?: readonly ExternalEvent[];
}

/** Observer hooks for debuggers; called only when set. */
export interface TickHooks {
  enter?(nodeId: string, index: number): void;
  exit?(nodeId: string, index: number, status: Status): void;
}

export interface NodeChange {
  id: string;
  from: Status;
  to: Status;
}

/** `scope` is `global`, `team`, `exec` or `local:<nodeId>` (subtree and for-each scopes). */
export interface WriteRecord {
  key: string;
  scope: string;
  /** Absent when the key did not exist. */
  old?: unknown;
  /** Absent when the key was removed. */
  new?: unknown;
}

export interface LogRecord {
  nodeId: string;
  message: string;
  values: unknown[];
}

export interface ProgressRecord {
  nodeId: string;
  step: string;
  percent: number;
}

export type RuntimeErrorCode =
  | 'EXPR_TYPE'
  | 'EXPR_ARITY'
  | 'EXPR_UNKNOWN_FUNCTION'
  | 'UNKNOWN_ACTION'
  | 'ACTION_FAILED'
  | 'ACTION_TIMEOUT'
  /** Nobody serves the action (no remote worker answers its subject). */
  | 'ACTION_UNAVAILABLE'
  | 'LLM_FAILED'
  /** A host's token budget (execution or team) is spent: the llm-call fails without calling. */
  | 'BUDGET_EXCEEDED'
  | 'BAD_ARGUMENT'
  /** The watchdog's `fail` action halted a stuck node. */
  | 'NODE_STUCK';

export interface ErrorRecord {
  nodeId: string;
  code: RuntimeErrorCode;
  message: string;
}

/** The usage of an llm-call that finished (SUCCESS) in this tick. */
export interface LlmUsageRecord extends LlmUsage {
  nodeId: string;
}

/** Text an llm-call's stream added to its `:into` key in this tick (one per node per tick). */
export interface LlmChunkRecord {
  nodeId: string;
  text: string;
}

/** One node tick, when visit recording is on (stats, profiling). */
export interface NodeVisit {
  id: string;
  status: Status;
  /** Inclusive time in microseconds, when timing is on. */
  us?: number;
}

/**
 * What the watchdog does with a stuck node: `report` only records it; `fail` halts it (its async
 * work cancelled) and it returns FAILURE in the same tick; `pause` records it for the host, which
 * pauses the execution (the engine itself goes on).
 */
export type WatchdogAction = 'report' | 'fail' | 'pause';

/** The watchdog of one tree (DESIGN.md "Watchdog"); `:stuck-after` on a node overrides `stuckAfterMs`. */
export interface WatchdogOptions {
  /** Budget of every leaf without its own `:stuck-after` (composites and decorators run as long as their children). */
  stuckAfterMs?: number;
  action?: WatchdogAction;
  /** A tick whose engine time exceeds this carries `overrun` in its record. */
  tickBudgetMs?: number;
}

/** A node found stuck in this tick: RUNNING for `runningForMs` (tick clock) since `runningSinceTick`. */
export interface StuckRecord {
  nodeId: string;
  runningSinceTick: number;
  runningForMs: number;
  budgetMs: number;
  action: WatchdogAction;
}

/** Everything that happened in one tick. Plain JSON. */
export interface TickRecord {
  tick: number;
  /** Clock time (ms) the tick started at. */
  startedAt: number;
  /** Wall time the tick took, in milliseconds (fractional). */
  durationMs: number;
  status: Status;
  nodes: NodeChange[];
  writes: WriteRecord[];
  logs: LogRecord[];
  progress: ProgressRecord[];
  errors: ErrorRecord[];
  visits?: NodeVisit[];
  /** The external events the tick was given, when it was given any. */
  events?: ExternalEvent[];
  /** Nodes the watchdog found stuck in this tick (once per RUNNING episode); absent when none. */
  stuck?: StuckRecord[];
  /** Set when `durationMs` exceeded the watchdog's `tickBudgetMs`. */
  overrun?: { budgetMs: number };
  /** Token usage of the llm-calls that finished in this tick; absent when none. */
  llm?: LlmUsageRecord[];
  /** Streamed text added by llm-calls in this tick; absent when none. */
  chunks?: LlmChunkRecord[];
}

/** Which parts of the TickRecord to collect. Kinds that are off cost close to nothing. */
export interface RecordOptions {
  nodes?: boolean;
  writes?: boolean;
  logs?: boolean;
  progress?: boolean;
  errors?: boolean;
  visits?: boolean;
  timing?: boolean;
}

/** Node state between ticks, plain JSON: restoring it into a fresh tree resumes exactly. */
export interface Checkpoint {
  v: 1;
  /** Structural fingerprint of the tree it was taken from. */
  fingerprint: string;
  tick: number;
  /** Per node id, only for nodes whose state is not the initial one. */
  nodes: Record<string, unknown>;
}

export interface BuildOptions {
  /** Name of the tree to run; default the document's main tree. */
  tree?: string;
  execId?: string;
  clock?: Clock;
  blackboard?: BlackboardStore;
  actions?: ActionResolver;
  llm?: LlmProvider;
  record?: RecordOptions;
  /** Called when an async action or LLM call settles, so event-driven hosts can tick again. */
  onWake?: () => void;
  /** Budgets and action for stuck nodes, and the tick budget; `tree.setWatchdog` changes them later. */
  watchdog?: WatchdogOptions;
  /** Other documents whose trees `(subtree "name")` may reference. */
  library?: readonly import('./json').TreeDocument[];
  /** Node count and depth with subtrees expanded; default DEFAULT_TREE_LIMITS. */
  limits?: import('../validate/tree-limits').TreeLimits;
}

/** A node as seen from outside (visualisation, breakpoints, history). */
export interface NodeInfo {
  id: string;
  type: string;
  name?: string;
  parentId?: string;
  childIds: string[];
  depth: number;
}
