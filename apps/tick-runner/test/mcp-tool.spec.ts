import { RedisKeys } from '@canopy/contracts';
import { startMcpServer, type TestMcpServer } from '@canopy/testing';
import { z } from 'zod';
import { command, createExecution, readTicks, useRunners, waitFor } from './harness';

jest.setTimeout(30_000);

describe('tick-runner: (mcp-tool ...) through a configured MCP server', () => {
  let server: TestMcpServer;
  const servers: Record<string, { url: string }> = {};
  const fx = useRunners({
    // The runner keeps this object: the server is added once it listens (after the runner starts).
    runners: [{ runnerId: 'runner-mcp', mcpServers: servers }],
    trees: ['(tree "lookup" (mcp-tool "kb" "lookup" :term $term :into "found"))'],
  });
  beforeAll(async () => {
    server = await startMcpServer((s) =>
      s.registerTool('lookup', { inputSchema: { term: z.string() } }, async ({ term }) => ({
        content: [{ type: 'text', text: `definition of ${term}` }],
      })),
    );
    servers.kb = { url: server.url };
  });
  afterAll(() => server.close());

  it('calls the tool without blocking ticks and stores its result under :into', async () => {
    await createExecution(fx.gateway, { tree: 'lookup', id: 'mcp-1', blackboard: { term: 'tick' } });
    const done = await waitFor('the tool result', async () => {
      const r = await command<{ status: string }>(fx.gateway, 'mcp-1', { type: 'tick', count: 1 });
      return r.status !== 'RUNNING' ? r : undefined;
    });
    expect(done.status).toBe('SUCCESS');
    expect(JSON.parse((await fx.runner.redis.hget(RedisKeys.scopeValues('exec:mcp-1'), 'found')) as string)).toBe('definition of tick');
    const ticks = (await readTicks(fx.gateway.nc, 'mcp-1')).map((t) => t.data);
    expect(ticks[0].status).toBe('RUNNING');
  });
});
