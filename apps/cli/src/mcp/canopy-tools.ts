import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** One gateway request made for a tool, with the MCP caller's credentials. */
export type GatewayCall = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

const id = z.string().min(1).describe('the execution id');
const enc = encodeURIComponent;

/**
 * The tools an AI assistant uses to run and debug trees, each one gateway route (docs/api.md), so
 * the gateway checks the caller's key and role exactly as for REST. A gateway error is the tool's
 * error (`isError`) with the gateway's `{error:{code,message}}` as its text.
 */
export function defineCanopyTools(server: McpServer, call: GatewayCall): void {
  const tool = <S extends z.ZodRawShape>(
    name: string,
    description: string,
    inputSchema: S,
    request: (args: z.infer<z.ZodObject<S>>) => [method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown],
  ) =>
    server.registerTool(name, { description, inputSchema }, (async (args: z.infer<z.ZodObject<S>>) => {
      const [method, path, body] = request(args);
      const r = await call(method, path, body);
      const text = JSON.stringify(r.body ?? null);
      return r.status >= 400 ? { isError: true, content: [{ type: 'text', text }] } : { content: [{ type: 'text', text }] };
    }) as never);

  tool('list_trees', 'Lists the registered trees (name, latest version).', {}, () => ['GET', '/trees']);
  tool('register_tree', 'Registers a tree from its Canopy LISP source (a new version when the name exists).', { source: z.string() }, (a) => ['POST', '/trees', { source: a.source }]);
  tool(
    'create_execution',
    'Creates an execution of a tree. mode: manual (tick it yourself, default), auto, interval, event.',
    {
      tree: z.string(),
      id: z.string().optional(),
      blackboard: z.record(z.string(), z.unknown()).optional(),
      mode: z.enum(['manual', 'auto', 'interval', 'event']).optional(),
      intervalMs: z.number().int().optional(),
    },
    (a) => ['POST', '/executions', a],
  );
  tool('tick', 'Ticks an execution count times (default 1); answers tick, status, state and where it paused.', { id, count: z.number().int().min(1).optional() }, (a) => ['POST', `/executions/${enc(a.id)}/tick`, { count: a.count ?? 1 }]);
  tool('start', 'Starts an execution running on its own (auto, interval or event mode).', { id, mode: z.enum(['auto', 'interval', 'event']), intervalMs: z.number().int().optional() }, (a) => ['POST', `/executions/${enc(a.id)}/start`, { mode: a.mode, ...(a.intervalMs ? { intervalMs: a.intervalMs } : {}) }]);
  tool('stop', 'Stops an execution.', { id }, (a) => ['POST', `/executions/${enc(a.id)}/stop`]);
  tool('get_execution', 'An execution: state, root status, tick count, owner.', { id }, (a) => ['GET', `/executions/${enc(a.id)}`]);
  tool('read_blackboard', "The execution's own blackboard keys and values.", { id }, (a) => ['GET', `/blackboard/exec:${enc(a.id)}`]);
  tool('history', 'The recorded ticks of an execution (tick, status, counts), oldest first.', { id, from: z.number().int().optional(), to: z.number().int().optional() }, (a) => {
    const q = new URLSearchParams();
    if (a.from !== undefined) q.set('from', String(a.from));
    if (a.to !== undefined) q.set('to', String(a.to));
    return ['GET', `/executions/${enc(a.id)}/history${q.size > 0 ? `?${q}` : ''}`];
  });
  tool('history_tick', 'The state after one recorded tick: node statuses, blackboard, the tick record.', { id, tick: z.number().int().min(1) }, (a) => ['GET', `/executions/${enc(a.id)}/history/${a.tick}`]);
  tool('set_breakpoint', 'Pauses the execution when a node is ticked (when: before|after).', { id, nodeId: z.string(), when: z.enum(['before', 'after']).optional() }, (a) => ['POST', `/executions/${enc(a.id)}/breakpoints`, { nodeId: a.nodeId, ...(a.when ? { when: a.when } : {}) }]);
  tool('step', 'Goes on from a pause: into, over, out or continue.', { id, mode: z.enum(['into', 'over', 'out', 'continue']) }, (a) => ['POST', `/executions/${enc(a.id)}/step`, { mode: a.mode }]);
}
