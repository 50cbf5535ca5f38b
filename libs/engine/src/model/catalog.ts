/**
 * The node catalogue: every node type of the language with its shape. The DSL validator, the
 * JSON Schema and the engine builder all read this one table, so a node's arity, arguments and
 * keywords are defined once.
 */

export type NodeCategory = 'composite' | 'decorator' | 'leaf';

/**
 * What a positional or keyword argument accepts:
 * - `expr`: any expression, evaluated at run time;
 * - `number`: an expression expected to give a number (a literal is checked statically);
 * - `string`: a string literal;
 * - `name`: a string literal or a bare symbol (action names);
 * - `key`: a blackboard key as a string literal, optionally with a scope prefix;
 * - `boolean`: `true` or `false`;
 * - `keyword`: one of `choices`, written as `:choice`;
 * - `ms`: a literal whole number of milliseconds, at least 1 (read when the tree is built);
 * - `count`: a literal whole number, at least 1 (read when the tree is built: it shapes the tree).
 */
export type ArgKind = 'expr' | 'number' | 'string' | 'name' | 'key' | 'boolean' | 'keyword' | 'ms' | 'count';

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  required?: boolean;
  choices?: readonly string[];
}

export interface NodeSpec {
  type: string;
  aliases?: readonly string[];
  category: NodeCategory;
  children: { min: number; max: number };
  /** Positional arguments, in order, before the children. */
  positional: readonly ArgSpec[];
  /** The last positional argument repeats (`(log "msg" EXPR...)`). */
  variadic?: boolean;
  keywords: readonly ArgSpec[];
  /** Accepts any further keyword as a named argument (`(action NAME :arg EXPR ...)`). */
  openKeywords?: boolean;
  /** Children must be of this type (`scoring-selector` takes only `option`). */
  childType?: string;
  /** Only valid as a child of this type (`option`). */
  parentType?: string;
  summary: string;
}

const MANY = Number.POSITIVE_INFINITY;
const composite = { min: 1, max: MANY };
const one = { min: 1, max: 1 };
const none = { min: 0, max: 0 };

export const NODE_SPECS: readonly NodeSpec[] = [
  // Composites
  { type: 'sequence', category: 'composite', children: composite, positional: [], keywords: [], summary: 'Ticks children in order; fails on the first failure.' },
  { type: 'selector', aliases: ['fallback'], category: 'composite', children: composite, positional: [], keywords: [], summary: 'Ticks children in order; succeeds on the first success.' },
  { type: 'reactive-sequence', category: 'composite', children: composite, positional: [], keywords: [], summary: 'A sequence that re-checks earlier children every tick.' },
  { type: 'reactive-selector', category: 'composite', children: composite, positional: [], keywords: [], summary: 'A selector that re-checks higher-priority children every tick.' },
  { type: 'memory-sequence', category: 'composite', children: composite, positional: [], keywords: [], summary: 'A sequence that resumes at the child that failed.' },
  { type: 'memory-selector', category: 'composite', children: composite, positional: [], keywords: [], summary: 'A selector that resumes at the child that succeeded.' },
  {
    type: 'parallel', category: 'composite', children: composite, positional: [],
    keywords: [
      { name: 'success', kind: 'number' },
      { name: 'failure', kind: 'number' },
      { name: 'policy', kind: 'keyword', choices: ['require-all', 'require-one'] },
    ],
    summary: 'Ticks every unfinished child each tick.',
  },
  {
    type: 'scoring-selector', category: 'composite', children: composite, positional: [],
    keywords: [{ name: 'hysteresis', kind: 'number' }], childType: 'option',
    summary: 'Ticks the child with the best score.',
  },
  { type: 'option', category: 'decorator', children: one, positional: [{ name: 'score', kind: 'number', required: true }], keywords: [], parentType: 'scoring-selector', summary: 'A scored choice of a scoring-selector.' },

  // Decorators
  { type: 'invert', category: 'decorator', children: one, positional: [], keywords: [], summary: 'Swaps SUCCESS and FAILURE.' },
  { type: 'force-success', category: 'decorator', children: one, positional: [], keywords: [], summary: 'A finished child succeeds.' },
  { type: 'force-failure', category: 'decorator', children: one, positional: [], keywords: [], summary: 'A finished child fails.' },
  { type: 'repeat', category: 'decorator', children: one, positional: [], keywords: [{ name: 'times', kind: 'number', required: true }], summary: 'Runs the child until it succeeded N times.' },
  { type: 'retry', category: 'decorator', children: one, positional: [], keywords: [{ name: 'times', kind: 'number', required: true }], summary: 'Runs the child until it succeeds, at most N attempts.' },
  { type: 'until-success', category: 'decorator', children: one, positional: [], keywords: [], summary: 'Reruns the child until it succeeds.' },
  { type: 'until-failure', category: 'decorator', children: one, positional: [], keywords: [], summary: 'Reruns the child until it fails.' },
  { type: 'timeout', category: 'decorator', children: one, positional: [], keywords: [{ name: 'ms', kind: 'number', required: true }], summary: 'Fails the child after T ms.' },
  { type: 'delay', category: 'decorator', children: one, positional: [], keywords: [{ name: 'ms', kind: 'number', required: true }], summary: 'Waits T ms, then ticks the child.' },
  { type: 'cooldown', category: 'decorator', children: one, positional: [], keywords: [{ name: 'ms', kind: 'number', required: true }], summary: 'Fails for T ms after the child finished.' },
  { type: 'guard', category: 'decorator', children: one, positional: [{ name: 'condition', kind: 'expr', required: true }], keywords: [], summary: 'Ticks the child while the condition holds.' },
  { type: 'run-once', category: 'decorator', children: one, positional: [], keywords: [], summary: 'Runs the child to completion once, ever.' },
  {
    type: 'for-each', category: 'decorator', children: one, positional: [],
    keywords: [
      { name: 'in', kind: 'expr', required: true },
      { name: 'as', kind: 'string', required: true },
      // Items run at once, each in its own copy of the child (built N times).
      { name: 'parallel', kind: 'count' },
    ],
    summary: 'Runs the child once per item of a list; `:parallel N` runs up to N items at once.',
  },
  { type: 'on-event', category: 'decorator', children: one, positional: [{ name: 'event', kind: 'string', required: true }], keywords: [], summary: 'Starts the child in a tick that received the named external event; keeps ticking it while it runs.' },
  {
    type: 'semaphore', category: 'decorator', children: one, positional: [],
    keywords: [
      { name: 'name', kind: 'string', required: true },
      { name: 'max', kind: 'number', required: true },
    ],
    summary: 'Holds one of N team-wide slots while the child runs.',
  },

  // Leaves
  { type: 'success', category: 'leaf', children: none, positional: [], keywords: [], summary: 'SUCCESS.' },
  { type: 'failure', category: 'leaf', children: none, positional: [], keywords: [], summary: 'FAILURE.' },
  { type: 'running', category: 'leaf', children: none, positional: [], keywords: [], summary: 'RUNNING.' },
  { type: 'condition', category: 'leaf', children: none, positional: [{ name: 'test', kind: 'expr', required: true }], keywords: [], summary: 'SUCCESS if the expression is truthy.' },
  { type: 'set', category: 'leaf', children: none, positional: [{ name: 'key', kind: 'key', required: true }, { name: 'value', kind: 'expr', required: true }], keywords: [], summary: 'Writes a blackboard key.' },
  { type: 'unset', category: 'leaf', children: none, positional: [{ name: 'key', kind: 'key', required: true }], keywords: [], summary: 'Removes a blackboard key.' },
  { type: 'wait', category: 'leaf', children: none, positional: [], keywords: [{ name: 'ms', kind: 'number', required: true }], summary: 'RUNNING for T ms.' },
  { type: 'log', category: 'leaf', children: none, positional: [{ name: 'message', kind: 'string', required: true }, { name: 'values', kind: 'expr' }], variadic: true, keywords: [], summary: 'Emits a log event.' },
  { type: 'action', category: 'leaf', children: none, positional: [{ name: 'action', kind: 'name', required: true }], keywords: [{ name: 'into', kind: 'key' }], openKeywords: true, summary: 'Calls a registered or remote action; `:into KEY` receives its output.' },
  { type: 'mcp-tool', category: 'leaf', children: none, positional: [{ name: 'server', kind: 'string', required: true }, { name: 'tool', kind: 'string', required: true }], keywords: [{ name: 'into', kind: 'key' }], openKeywords: true, summary: 'Calls a tool of a configured MCP server; `:into KEY` receives its result.' },
  { type: 'subtree', category: 'leaf', children: none, positional: [{ name: 'tree', kind: 'string', required: true }], keywords: [], openKeywords: true, summary: 'Runs another tree in a child scope.' },
  {
    type: 'llm-call', category: 'leaf', children: none, positional: [],
    keywords: [
      { name: 'prompt', kind: 'expr', required: true },
      { name: 'into', kind: 'key', required: true },
      { name: 'conversation', kind: 'key' },
      { name: 'tools', kind: 'expr' },
      { name: 'tool-calls-into', kind: 'key' },
      { name: 'tool-results', kind: 'expr' },
      { name: 'provider', kind: 'expr' },
      { name: 'model', kind: 'expr' },
      { name: 'system', kind: 'expr' },
      { name: 'max-tokens', kind: 'number' },
      { name: 'timeout-ms', kind: 'number' },
      { name: 'retries', kind: 'number' },
    ],
    summary: 'Calls a language model, streaming its output into a key.',
  },
  { type: 'progress', category: 'leaf', children: none, positional: [{ name: 'step', kind: 'string', required: true }, { name: 'percent', kind: 'number', required: true }], keywords: [], summary: 'Marks progress through named steps.' },
];

/**
 * Attributes every node accepts. In JSON each is a field of the node under the same name (not a
 * `kwargs` entry), so it never reaches a node's own arguments (an action's, a subtree's).
 */
export const COMMON_KEYWORDS: readonly ArgSpec[] = [
  { name: 'id', kind: 'string' },
  { name: 'name', kind: 'string' },
  // The watchdog's budget for the node (DESIGN.md "Watchdog"): RUNNING longer than this is stuck.
  { name: 'stuck-after', kind: 'ms' },
];

export const NODE_SPEC_BY_TYPE: ReadonlyMap<string, NodeSpec> = new Map(
  NODE_SPECS.flatMap((spec) => [spec.type, ...(spec.aliases ?? [])].map((t) => [t, spec] as const)),
);

/** Expression functions and their arity (`max: Infinity` for variadic). */
export const EXPR_FUNCTIONS: Readonly<Record<string, { min: number; max: number }>> = {
  get: { min: 1, max: 2 },
  '+': { min: 0, max: MANY },
  '-': { min: 1, max: MANY },
  '*': { min: 0, max: MANY },
  '/': { min: 2, max: MANY },
  mod: { min: 2, max: 2 },
  '=': { min: 2, max: MANY },
  '!=': { min: 2, max: 2 },
  '<': { min: 2, max: MANY },
  '<=': { min: 2, max: MANY },
  '>': { min: 2, max: MANY },
  '>=': { min: 2, max: MANY },
  and: { min: 0, max: MANY },
  or: { min: 0, max: MANY },
  not: { min: 1, max: 1 },
  if: { min: 2, max: 3 },
  str: { min: 0, max: MANY },
  len: { min: 1, max: 1 },
  nth: { min: 2, max: 2 },
  contains: { min: 2, max: 2 },
  assoc: { min: 3, max: 3 },
  append: { min: 1, max: MANY },
  now: { min: 0, max: 0 },
  tick: { min: 0, max: 0 },
  events: { min: 0, max: 0 },
  event: { min: 1, max: 1 },
};

/**
 * Implicit node ids are index paths (`0`, `0.2.1`); an explicit `:id` may not look like one, so
 * that it cannot collide with another node's implicit id.
 */
export const PATH_ID_PATTERN = '^[0-9]+(\\.[0-9]+)*$';

/** Scope prefixes accepted in `$prefix:key` and in `set`/`unset` keys. */
export const SCOPE_PREFIXES = ['global', 'team', 'exec'] as const;
