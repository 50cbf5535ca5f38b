import { ActionRegistry, buildTree, ManualClock, MemoryBlackboard, type TickRecord, type TreeDocument } from '@canopy/engine';
import { startMcpServer, waitFor, type TestMcpServer } from '@canopy/testing';
import { z } from 'zod';
import { McpTools, mcpServersFromEnv } from '../src';

/** The tools of the test server; `calls` records what they were asked. */
async function startCalcServer(): Promise<TestMcpServer & { calls: string[] }> {
  const calls: string[] = [];
  const server = await startMcpServer((s) => {
    s.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => {
      calls.push(`add ${a} ${b}`);
      return { content: [{ type: 'text', text: JSON.stringify({ sum: a + b }) }] };
    });
    s.registerTool('fail', { description: 'Always fails' }, async () => {
      calls.push('fail');
      return { isError: true, content: [{ type: 'text', text: 'disk on fire' }] };
    });
  });
  return { ...server, calls };
}

const tree = (kwargs: Record<string, unknown>, args: unknown[]): TreeDocument => ({
  format: 'canopy/1',
  trees: [{ name: 'mcp', root: { type: 'mcp-tool', id: 'tool', args, kwargs } as never }],
});

async function run(doc: TreeDocument, tools: McpTools): Promise<{ records: TickRecord[]; bb: MemoryBlackboard }> {
  const bb = new MemoryBlackboard({ exec: { x: 2 } });
  const t = buildTree(doc, { blackboard: bb, clock: new ManualClock(0), actions: new ActionRegistry(tools) });
  const records: TickRecord[] = [];
  await waitFor('the tool to finish', async () => {
    const r = t.tick();
    records.push(r);
    if (r.status === 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 5));
    return r.status !== 'RUNNING' || undefined;
  });
  return { records, bb };
}

describe('(mcp-tool SERVER TOOL ...) against an MCP server over streamable HTTP', () => {
  let server: Awaited<ReturnType<typeof startCalcServer>>;
  let tools: McpTools;
  beforeAll(async () => {
    server = await startCalcServer();
    tools = new McpTools(mcpServersFromEnv({ CANOPY_MCP_SERVERS: JSON.stringify({ calc: { url: server.url } }) }));
  });
  afterAll(async () => {
    await tools.close();
    await server.close();
  });

  it('calls the tool with the keyword arguments and writes its result to :into', async () => {
    const { records, bb } = await run(tree({ a: { $: 'x' }, b: 40, into: 'sum' }, ['calc', 'add']), tools);
    expect(records.at(-1)?.status).toBe('SUCCESS');
    expect(bb.get('exec', 'sum')).toEqual({ sum: 42 });
    expect(server.calls).toContain('add 2 40');
  });

  it('a tool error fails the node with ACTION_FAILED and the tool\'s message', async () => {
    const { records } = await run(tree({}, ['calc', 'fail']), tools);
    expect(records.at(-1)?.status).toBe('FAILURE');
    expect(records.flatMap((r) => r.errors)).toEqual([{ nodeId: 'tool', code: 'ACTION_FAILED', message: "action 'mcp:calc/fail': MCP tool calc/fail: disk on fire" }]);
  });

  it('an unknown server is ACTION_UNAVAILABLE, naming the variable', async () => {
    const { records } = await run(tree({}, ['nowhere', 'add']), tools);
    expect(records.flatMap((r) => r.errors)).toEqual([
      { nodeId: 'tool', code: 'ACTION_UNAVAILABLE', message: "action 'mcp:nowhere/add': no MCP server named \"nowhere\" (CANOPY_MCP_SERVERS)" },
    ]);
  });

  it('reads the servers from CANOPY_MCP_SERVERS and refuses a bad value', () => {
    expect(mcpServersFromEnv({})).toEqual({});
    expect(mcpServersFromEnv({ CANOPY_MCP_SERVERS: '{"fs":{"command":"npx","args":["server"]}}' })).toEqual({ fs: { command: 'npx', args: ['server'] } });
    expect(() => mcpServersFromEnv({ CANOPY_MCP_SERVERS: 'nope' })).toThrow('CANOPY_MCP_SERVERS must be a JSON object of servers by name');
    expect(() => mcpServersFromEnv({ CANOPY_MCP_SERVERS: '{"fs":{"port":1}}' })).toThrow(/CANOPY_MCP_SERVERS: fs/);
  });
});
