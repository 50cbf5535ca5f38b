import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { authHeaders, startStack, waitFor, type Stack } from '@canopy/testing';
import { startCanopyMcp } from '../src/commands/mcp';

jest.setTimeout(60_000);

type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };

/**
 * `canopy mcp` against a real stack (NATS, Redis, blackboard, runner, history, gateway as
 * processes), driven by the MCP SDK's own client over streamable HTTP, as an AI assistant would.
 */
describe('canopy mcp: Canopy as an MCP server', () => {
  let stack: Stack;
  let mcp: Awaited<ReturnType<typeof startCanopyMcp>>;
  let client: Client;

  const connect = async (headers: Record<string, string>) => {
    const c = new Client({ name: 'test-assistant', version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { requestInit: { headers } }));
    return c;
  };
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const r = (await client.callTool({ name, arguments: args })) as ToolResult;
    const body = JSON.parse(r.content[0].text) as unknown;
    if (r.isError) throw Object.assign(new Error(`${name}: ${r.content[0].text}`), { body });
    return body as Record<string, unknown> & unknown[];
  };

  beforeAll(async () => {
    stack = await startStack({ label: 'cli-mcp' });
    mcp = await startCanopyMcp(stack.gateway.url, 0);
    client = await connect(authHeaders());
  }, 180_000);

  afterAll(async () => {
    await client?.close();
    await mcp?.close();
    await stack?.dispose();
  }, 60_000);

  it('lists its tools', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['create_execution', 'get_execution', 'history', 'history_tick', 'list_trees', 'read_blackboard', 'register_tree', 'set_breakpoint', 'start', 'step', 'stop', 'tick'].sort(),
    );
  });

  it('registers a tree, runs an execution, reads its state and history, pauses at a breakpoint and steps', async () => {
    await call('register_tree', { source: '(tree "mcp-count" (reactive-sequence (set "n" (+ (get "n" 0) 1)) (set "m" $n) (running)))' });
    expect(((await call('list_trees')) as unknown as { name: string }[]).map((t) => t.name)).toContain('mcp-count');
    await call('create_execution', { tree: 'mcp-count', id: 'mcp-1' });
    expect(await call('tick', { id: 'mcp-1', count: 2 })).toMatchObject({ tick: 2, status: 'RUNNING' });
    expect(await call('get_execution', { id: 'mcp-1' })).toMatchObject({ id: 'mcp-1', tick: 2, status: 'RUNNING' });
    const bb = (await call('read_blackboard', { id: 'mcp-1' })) as unknown as { key: string; value: unknown }[];
    expect(bb.find((e) => e.key === 'n')?.value).toBe(2);
    const history = await waitFor('history of both ticks', async () => {
      const h = (await call('history', { id: 'mcp-1' })) as unknown as { tick: number }[];
      return h.length === 2 ? h : undefined;
    });
    expect(history.map((t) => t.tick)).toEqual([1, 2]);
    expect(await call('history_tick', { id: 'mcp-1', tick: 1 })).toMatchObject({ tick: 1, blackboard: { exec: { n: 1, m: 1 } } });

    // The second `set` is node 0.1, ticked every tick (a reactive sequence): the next tick pauses before it.
    await call('set_breakpoint', { id: 'mcp-1', nodeId: '0.1', when: 'before' });
    expect(await call('tick', { id: 'mcp-1' })).toMatchObject({ state: 'paused', pausedAt: { nodeId: '0.1', when: 'before' } });
    expect(await call('step', { id: 'mcp-1', mode: 'continue' })).toMatchObject({ paused: false });
    await call('stop', { id: 'mcp-1' });
    expect(await call('get_execution', { id: 'mcp-1' })).toMatchObject({ state: 'stopped', tick: 3 });
  });

  it('answers a gateway error as the tool\'s error, with its code', async () => {
    await expect(call('get_execution', { id: 'no-such' })).rejects.toMatchObject({ body: { error: { code: 'EXECUTION_NOT_FOUND' } } });
  });

  it('is authenticated like the gateway: no key is 401, a wrong key fails the tools with the gateway auth error', async () => {
    const res = await fetch(mcp.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'send the gateway key as Authorization: Bearer KEY' } });
    const stranger = await connect({ authorization: 'Bearer cnpy_wrong' });
    try {
      const r = (await stranger.callTool({ name: 'list_trees', arguments: {} })) as ToolResult;
      expect(r.isError).toBe(true);
      expect(JSON.parse(r.content[0].text)).toMatchObject({ error: { code: expect.stringMatching(/UNAUTHENTICATED|INVALID_KEY|UNAUTHORIZED/) } });
    } finally {
      await stranger.close();
    }
  });
});
