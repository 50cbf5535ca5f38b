import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startMcpServer, type TestMcpServer } from '@canopy/testing';
import { z } from 'zod';
import { main } from '../src/main';
import { captureIo } from './capture-io';

/** The real stdio MCP server of libs/llm's tests (McpServer + StdioServerTransport, run with node). */
const STDIO_SERVER = resolve(__dirname, '../../../libs/llm/test/fixtures/stdio-mcp-server.cjs');

const harness = captureIo;

const dir = mkdtempSync(join(tmpdir(), 'canopy-cli-mcp-'));
function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const TREE = write(
  'define.lisp',
  `(tree "define"
  (sequence
    (mcp-tool "kb" "lookup" :term $term :into "definition")
    (log "found" $definition)))
`,
);

/** The JSON lines of `run --format json`. */
const ticks = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as { status: string; blackboard: Record<string, unknown>; errors: { code: string; message: string }[] });

describe('canopy run / debug with (mcp-tool ...)', () => {
  let kb: TestMcpServer;
  const asked: string[] = [];
  const saved = process.env.CANOPY_MCP_SERVERS;

  beforeAll(async () => {
    kb = await startMcpServer((s) => {
      s.registerTool('lookup', { description: 'Defines a term', inputSchema: { term: z.string() } }, async ({ term }) => {
        asked.push(term);
        return { content: [{ type: 'text', text: `${term}: a tree of tasks` }] };
      });
    });
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CANOPY_MCP_SERVERS;
    else process.env.CANOPY_MCP_SERVERS = saved;
  });
  afterAll(() => kb.close());

  it('run --mcp-servers JSON: calls the tool of a streamable HTTP server, its result reaches the blackboard', async () => {
    const h = harness();
    const servers = JSON.stringify({ kb: { url: kb.url } });
    expect(await main(['run', TREE, '--set', 'term="behavior tree"', '--mcp-servers', servers, '--format', 'json'], h.io)).toBe(0);
    expect(h.err()).toBe('');
    const last = ticks(h.out()).at(-1);
    expect(last?.status).toBe('SUCCESS');
    expect(last?.blackboard.definition).toBe('behavior tree: a tree of tasks');
    expect(asked).toContain('behavior tree');
  });

  it('run with CANOPY_MCP_SERVERS: starts a stdio server with command/args, and stops it when the run ends', async () => {
    const stdio = write('stdio.lisp', '(tree "t" (mcp-tool "calc" "add" :a 20 :b 22 :into "sum"))');
    process.env.CANOPY_MCP_SERVERS = JSON.stringify({ calc: { command: process.execPath, args: [STDIO_SERVER, 'calc'] } });
    const h = harness();
    expect(await main(['run', stdio, '--format', 'json'], h.io)).toBe(0);
    const sum = ticks(h.out()).at(-1)?.blackboard.sum as { sum: number; pid: number };
    expect(sum).toMatchObject({ sum: 42, server: 'calc' });
    // The server's process was ended with the run (kill -0 finds no such process).
    expect(() => process.kill(sum.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('--mcp-servers FILE wins over CANOPY_MCP_SERVERS; a server not configured is ACTION_UNAVAILABLE naming both', async () => {
    process.env.CANOPY_MCP_SERVERS = JSON.stringify({ kb: { url: 'http://127.0.0.1:9/mcp' } });
    const file = write('servers.json', JSON.stringify({ kb: { url: kb.url } }));
    const h = harness();
    expect(await main(['run', TREE, '--set', 'term=canopy', '--mcp-servers', file, '--format', 'json'], h.io)).toBe(0);
    expect(ticks(h.out()).at(-1)?.blackboard.definition).toBe('canopy: a tree of tasks');

    const other = write('other.lisp', '(tree "t" (mcp-tool "nowhere" "x"))');
    const bad = harness();
    expect(await main(['run', other, '--mcp-servers', file, '--format', 'json'], bad.io)).toBe(1);
    expect(ticks(bad.out()).flatMap((t) => t.errors)).toEqual([
      { nodeId: '0', code: 'ACTION_UNAVAILABLE', message: `action 'mcp:nowhere/x': no MCP server named "nowhere" (CANOPY_MCP_SERVERS or --mcp-servers)` },
    ]);
  });

  it('an action of the same name in the --actions module stands in for the MCP tool', async () => {
    const actions = write('stand-in.js', "module.exports = { 'mcp:kb/lookup': ({ term }) => ({ status: 'SUCCESS', output: 'stand-in for ' + term }) };");
    const h = harness();
    expect(await main(['run', TREE, '--set', 'term=x', '--actions', actions, '--mcp-servers', JSON.stringify({ kb: { url: kb.url } }), '--format', 'json'], h.io)).toBe(0);
    expect(ticks(h.out()).at(-1)?.blackboard.definition).toBe('stand-in for x');
  });

  it('refuses a bad --mcp-servers with exit 2, naming it', async () => {
    for (const [value, message] of [
      ['{"kb": {"port": 1}}', '--mcp-servers: kb: '],
      ['{nope', '--mcp-servers must be a JSON object of servers by name'],
      [join(dir, 'missing.json'), 'missing.json: cannot read file (ENOENT)'],
    ]) {
      const h = harness();
      expect(await main(['run', TREE, '--mcp-servers', value], h.io)).toBe(2);
      expect(h.err()).toContain(message);
    }
  });

  it('debug --mcp-servers: the tool\'s result is there at a breakpoint after the call', async () => {
    const commands = write('commands.txt', ['break 0.1', 'tick 100', 'print definition', 'quit', ''].join('\n'));
    const h = harness();
    const code = await main(['debug', TREE, '--set', 'term=debugger', '--mcp-servers', JSON.stringify({ kb: { url: kb.url } }), '--commands', commands], h.io);
    expect(h.err()).toBe('');
    expect(code).toBe(0);
    expect(h.out()).toContain('"debugger: a tree of tasks"');
  });
});
