import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { compile } from '@canopy/dsl';
import { buildTree, type TreeDocument } from '@canopy/engine';
import { authHeaders, GatewayApi, type Stack, waitFor } from '@canopy/testing';
import { startE2eStack } from './support/e2e-stack';
import { STEPS_TREE } from './support/trees';

/** STEPS_TREE's node ids, from the engine (what an assistant reads from get_state). */
const IDS = buildTree(compile(STEPS_TREE).document as TreeDocument).nodes.map((n) => n.id);
const LOG = IDS[2];

/** An MCP client of the gateway's /mcp, as an AI assistant connects with its key. */
async function connect(baseUrl: string, key?: string): Promise<Client> {
  const client = new Client({ name: 'e2e-assistant', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
      requestInit: { headers: authHeaders(key) },
    }),
  );
  return client;
}

/** A tool's answer: the route's JSON body, and whether it was an error. */
async function callTool(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args });
  const [content] = result.content as { type: string; text: string }[];
  // The route's JSON body, read by the expectations below.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { isError: result.isError === true, body: JSON.parse(content.text) as Record<string, any> };
}

/**
 * Canopy as an MCP server: an assistant registers a tree, runs and debugs an execution with the
 * SDK's own client over streamable HTTP, with exactly what its key may do.
 */
describe('MCP server (/mcp)', () => {
  let stack: Stack;
  let api: GatewayApi;
  let client: Client;

  beforeAll(async () => {
    stack = await startE2eStack({ runners: 1 });
    api = new GatewayApi(stack.gateway.url);
    client = await connect(stack.gateway.url);
  }, 180_000);

  afterAll(async () => {
    await client?.close();
    await stack?.dispose();
  }, 60_000);

  it('lists its tools, read-only ones marked', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const name of ['register_tree', 'create_execution', 'tick', 'start_execution', 'stop_execution', 'get_state', 'get_history', 'set_breakpoint', 'step']) {
      expect(names).toContain(name);
    }
    expect(tools.find((t) => t.name === 'get_state')?.annotations?.readOnlyHint).toBe(true);
    expect(tools.find((t) => t.name === 'tick')?.annotations?.readOnlyHint).toBe(false);
    expect(tools.find((t) => t.name === 'tick')?.inputSchema.required).toEqual(['id']);
  });

  it('registers a tree, runs it, stops at a breakpoint, steps, and reads the history', async () => {
    const bad = await callTool(client, 'register_tree', { source: '(tree "x" (sequence' });
    expect(bad.isError).toBe(true);
    expect(bad.body.error.code).toBe('COMPILE_FAILED');

    expect((await callTool(client, 'register_tree', { source: STEPS_TREE })).body).toMatchObject({ name: 'e2e-steps', version: 1 });
    expect((await callTool(client, 'create_execution', { tree: 'e2e-steps', id: 'mcp-1' })).body).toMatchObject({ id: 'mcp-1', state: 'created' });
    expect((await callTool(client, 'set_breakpoint', { id: 'mcp-1', nodeId: LOG })).body).toMatchObject({ nodeId: LOG, when: 'before' });

    const paused = await callTool(client, 'tick', { id: 'mcp-1' });
    expect(paused.body).toMatchObject({ state: 'paused', pausedAt: { tick: 1, reason: 'breakpoint', nodeId: LOG } });
    const state = await callTool(client, 'get_state', { id: 'mcp-1' });
    expect(state.body).toMatchObject({ paused: true, blackboard: { exec: { count: 1 } } });

    const stepped = await callTool(client, 'step', { id: 'mcp-1', mode: 'continue' });
    expect(stepped.body).toMatchObject({ paused: false });
    // The same execution through the REST API: one tick done.
    expect(await api.execution('mcp-1')).toMatchObject({ tick: 1 });

    // History stores the tick shortly after it completes.
    const history = await waitFor('history to have tick 1', async () => {
      const answer = await callTool(client, 'get_tick', { id: 'mcp-1', tick: 1 });
      if (answer.isError) expect(answer.body.error.code).toBe('TICK_NOT_FOUND');
      return answer.isError ? undefined : answer;
    });
    expect(history.body).toMatchObject({ tick: 1 });
    expect(JSON.stringify(history.body)).toContain('count is');
  });

  it('does what the key may do, and refuses the rest with the API`s codes', async () => {
    const { key } = await api.ok(api.post<{ key: string }>('/keys', { role: 'viewer', name: 'mcp-viewer' }), 201);
    const viewer = await connect(stack.gateway.url, key);
    try {
      expect((await callTool(viewer, 'get_execution', { id: 'mcp-1' })).body).toMatchObject({ id: 'mcp-1' });
      const refused = await callTool(viewer, 'tick', { id: 'mcp-1' });
      expect(refused).toMatchObject({ isError: true, body: { error: { code: 'FORBIDDEN' } } });
    } finally {
      await viewer.close();
    }
    const anonymous = await fetch(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(anonymous.status).toBe(401);
    const get = await fetch(`${stack.gateway.url}/mcp`, { headers: authHeaders() });
    expect(get.status).toBe(405);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
  });
});
