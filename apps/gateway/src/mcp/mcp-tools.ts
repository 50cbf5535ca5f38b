import { z } from 'zod';

/** One gateway request a tool makes: the REST route does the validation, auth and work. */
export interface ToolRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  body?: unknown;
}

export interface McpTool<S extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  description: string;
  input: S;
  /** Whether the tool only reads (MCP's `readOnlyHint`: assistants may call it without asking). */
  readOnly: boolean;
  request(args: z.infer<z.ZodObject<S>>): ToolRequest;
}

const id = z.string().describe('execution id');
const enc = encodeURIComponent;

function tool<S extends z.ZodRawShape>(t: McpTool<S>): McpTool {
  return t as unknown as McpTool;
}

/** `?a=1&b=2` of the defined values. */
function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined);
  return entries.length === 0
    ? ''
    : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

/**
 * What an AI assistant can do with Canopy over MCP: each tool is one REST route of the gateway
 * (docs/api.md), called with the assistant's own credentials, so roles, teams, limits and error
 * codes are exactly those of the API.
 */
export const MCP_TOOLS: McpTool[] = [
  tool({
    name: 'list_trees',
    description: 'Registered trees: name, latest version, node count.',
    input: {},
    readOnly: true,
    request: () => ({ method: 'GET', url: '/trees' }),
  }),
  tool({
    name: 'get_tree',
    description: 'A registered tree: its source, version and subtrees.',
    input: { name: z.string() },
    readOnly: true,
    request: ({ name }) => ({ method: 'GET', url: `/trees/${enc(name)}` }),
  }),
  tool({
    name: 'register_tree',
    description:
      'Registers a tree written in the Canopy LISP (docs/language.md), or BehaviorTree.CPP XML / MDSL with `format`; answers positioned errors when it does not compile.',
    input: {
      source: z.string(),
      format: z.enum(['canopy', 'btcpp', 'mdsl']).optional(),
    },
    readOnly: false,
    request: ({ source, format }) => ({
      method: 'POST',
      url: '/trees',
      body: format && format !== 'canopy' ? { source, format } : { source },
    }),
  }),
  tool({
    name: 'list_executions',
    description: 'Executions, optionally of one tree or in one state.',
    input: {
      tree: z.string().optional(),
      state: z.enum(['created', 'running', 'paused', 'stopped', 'completed']).optional(),
      limit: z.number().int().min(1).max(1000).optional(),
    },
    readOnly: true,
    request: ({ tree, state, limit }) => ({
      method: 'GET',
      url: `/executions${query({ tree, state, limit })}`,
    }),
  }),
  tool({
    name: 'create_execution',
    description:
      'Creates an execution of a tree. mode: manual (ticked by `tick`, the default), auto, interval (with intervalMs) or event.',
    input: {
      tree: z.string(),
      id: z.string().optional(),
      mode: z.enum(['manual', 'auto', 'interval', 'event']).optional(),
      intervalMs: z.number().int().optional(),
      team: z.string().optional(),
      blackboard: z.record(z.string(), z.unknown()).optional(),
    },
    readOnly: false,
    request: (args) => ({ method: 'POST', url: '/executions', body: args }),
  }),
  tool({
    name: 'get_execution',
    description: 'An execution: state, root status, tick, mode, owner.',
    input: { id },
    readOnly: true,
    request: ({ id }) => ({ method: 'GET', url: `/executions/${enc(id)}` }),
  }),
  tool({
    name: 'tick',
    description:
      'Runs `count` ticks (default 1) of a manual execution; answers early with `pausedAt` when the debugger stops it.',
    input: { id, count: z.number().int().min(1).optional() },
    readOnly: false,
    request: ({ id, count }) => ({
      method: 'POST',
      url: `/executions/${enc(id)}/tick`,
      body: count === undefined ? {} : { count },
    }),
  }),
  ...(['start', 'pause', 'resume', 'stop'] as const).map((action) =>
    tool({
      name: `${action}_execution`,
      description:
        action === 'start'
          ? 'Starts an execution in auto, interval or event mode.'
          : `${action[0].toUpperCase()}${action.slice(1)}s an execution.`,
      input:
        action === 'start'
          ? { id, mode: z.enum(['auto', 'interval', 'event']), intervalMs: z.number().int().optional() }
          : { id },
      readOnly: false,
      request: ({ id, ...body }: { id: string; mode?: string; intervalMs?: number }) => ({
        method: 'POST',
        url: `/executions/${enc(id)}/${action}`,
        body: action === 'start' ? body : undefined,
      }),
    }),
  ),
  tool({
    name: 'get_state',
    description:
      'Where an execution stands for the debugger: node statuses, the blackboard by scope (mid-tick when paused), locals, breakpoints, watches, pausedAt.',
    input: { id },
    readOnly: true,
    request: ({ id }) => ({ method: 'GET', url: `/executions/${enc(id)}/debug` }),
  }),
  tool({
    name: 'get_blackboard',
    description: 'Every key of a blackboard scope: global, team:<team> or exec:<execution id>.',
    input: { scope: z.string() },
    readOnly: true,
    request: ({ scope }) => ({ method: 'GET', url: `/blackboard/${enc(scope)}` }),
  }),
  tool({
    name: 'get_history',
    description: 'The stored ticks of an execution (summaries), newest last.',
    input: { id, from: z.number().int().optional(), limit: z.number().int().optional() },
    readOnly: true,
    request: ({ id, from, limit }) => ({
      method: 'GET',
      url: `/executions/${enc(id)}/history${query({ from, limit })}`,
    }),
  }),
  tool({
    name: 'get_tick',
    description: 'One stored tick: its record, and the node statuses and blackboard after it.',
    input: { id, tick: z.number().int().min(1) },
    readOnly: true,
    request: ({ id, tick }) => ({ method: 'GET', url: `/executions/${enc(id)}/history/${tick}` }),
  }),
  tool({
    name: 'set_breakpoint',
    description:
      'Stops ticks of an execution before or after a node (ids from get_state). mode "replace" with `status` makes the node return that status instead (fault injection); `condition` is a Canopy expression.',
    input: {
      id,
      nodeId: z.string(),
      when: z.enum(['before', 'after']).optional(),
      mode: z.enum(['break', 'replace']).optional(),
      status: z.enum(['SUCCESS', 'FAILURE', 'RUNNING']).optional(),
      condition: z.string().optional(),
      once: z.boolean().optional(),
    },
    readOnly: false,
    request: ({ id, ...body }) => ({
      method: 'POST',
      url: `/executions/${enc(id)}/breakpoints`,
      body,
    }),
  }),
  tool({
    name: 'remove_breakpoints',
    description: 'Removes every breakpoint on a node.',
    input: { id, nodeId: z.string() },
    readOnly: false,
    request: ({ id, nodeId }) => ({
      method: 'DELETE',
      url: `/executions/${enc(id)}/breakpoints/${nodeId.split('/').map(enc).join('/')}`,
    }),
  }),
  tool({
    name: 'step',
    description:
      'Moves a paused execution: into (the next node), over (past this node), out (past its parent) or continue (to the next stop or the end of the tick).',
    input: { id, mode: z.enum(['into', 'over', 'out', 'continue']) },
    readOnly: false,
    request: ({ id, mode }) => ({ method: 'POST', url: `/executions/${enc(id)}/step`, body: { mode } }),
  }),
];
