import { join } from 'node:path';
import { ActionRegistry, buildTree, ManualClock, MemoryBlackboard, type TickRecord, type TreeDocument } from '@canopy/engine';
import { waitFor } from '@canopy/testing';
import { McpTools, mcpServersFromEnv } from '../src';

/** A real MCP server over stdio: libs/llm/test/fixtures/stdio-mcp-server.cjs, started by the client with node. */
const SERVER = join(__dirname, 'fixtures', 'stdio-mcp-server.cjs');

const tree = (tool: string, kwargs: Record<string, unknown> = {}, server = 'calc'): TreeDocument => ({
  format: 'canopy/1',
  trees: [{ name: 'mcp', root: { type: 'mcp-tool', id: 'tool', args: [server, tool], kwargs } as never }],
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
  }, 20_000);
  return { records, bb };
}

describe('(mcp-tool SERVER TOOL ...) against an MCP server over stdio', () => {
  let tools: McpTools;
  beforeAll(() => {
    tools = new McpTools(
      mcpServersFromEnv({
        CANOPY_MCP_SERVERS: JSON.stringify({
          calc: { command: process.execPath, args: [SERVER, 'calc'], env: { GREETING: 'hello' } },
          dead: { command: process.execPath, args: ['-e', 'process.exit(3)'] },
          missing: { command: join(__dirname, 'fixtures', 'no-such-program') },
        }),
      }),
    );
  });
  afterAll(() => tools.close());

  it('starts the process from command/args/env, calls the tool and writes its result to :into', async () => {
    const { records, bb } = await run(tree('add', { a: { $: 'x' }, b: 40, into: 'sum' }), tools);
    expect(records.at(-1)?.status).toBe('SUCCESS');
    expect(records.flatMap((r) => r.errors)).toEqual([]);
    expect(bb.get('exec', 'sum')).toMatchObject({ sum: 42, server: 'calc', greeting: 'hello' });
    // The write is a recorded one, in the tick that observed the result.
    expect(records.at(-1)?.writes).toEqual([{ key: 'sum', scope: 'exec', new: bb.get('exec', 'sum') }]);
  });

  it('keeps one process for the server: a second call reuses it', async () => {
    const first = (await run(tree('add', { a: 1, b: 1, into: 'r' }), tools)).bb.get('exec', 'r') as { pid: number };
    const second = (await run(tree('add', { a: 2, b: 2, into: 'r' }), tools)).bb.get('exec', 'r') as { pid: number };
    expect(second.pid).toBe(first.pid);
  });

  it('a tool error fails the node with ACTION_FAILED and the tool\'s message', async () => {
    const { records } = await run(tree('fail'), tools);
    expect(records.at(-1)?.status).toBe('FAILURE');
    expect(records.flatMap((r) => r.errors)).toEqual([{ nodeId: 'tool', code: 'ACTION_FAILED', message: "action 'mcp:calc/fail': MCP tool calc/fail: disk on fire" }]);
  });

  it('a server that exits during the call is ACTION_UNAVAILABLE; the next call starts it again', async () => {
    const before = (await run(tree('add', { a: 0, b: 0, into: 'r' }), tools)).bb.get('exec', 'r') as { pid: number };
    const { records } = await run(tree('crash'), tools);
    expect(records.at(-1)?.status).toBe('FAILURE');
    const errors = records.flatMap((r) => r.errors);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ nodeId: 'tool', code: 'ACTION_UNAVAILABLE' });
    expect(errors[0].message).toMatch(/^action 'mcp:calc\/crash': MCP server "calc" closed the connection during crash/);
    const after = await run(tree('add', { a: 1, b: 2, into: 'r' }), tools);
    expect(after.records.at(-1)?.status).toBe('SUCCESS');
    expect(after.bb.get('exec', 'r')).toMatchObject({ sum: 3 });
    expect((after.bb.get('exec', 'r') as { pid: number }).pid).not.toBe(before.pid);
  });

  it('a server that exits at start, or a command that does not exist, is ACTION_UNAVAILABLE', async () => {
    for (const server of ['dead', 'missing']) {
      const { records } = await run(tree('add', {}, server), tools);
      expect(records.at(-1)?.status).toBe('FAILURE');
      const errors = records.flatMap((r) => r.errors);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ nodeId: 'tool', code: 'ACTION_UNAVAILABLE' });
      expect(errors[0].message).toContain(`action 'mcp:${server}/add': MCP server "${server}" is unreachable: `);
    }
  });
});
