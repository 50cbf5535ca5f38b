import { ActionError, type ActionFn, type ActionResolver } from '@canopy/engine';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** The action name `(mcp-tool SERVER TOOL ...)` compiles to: `mcp:<server>/<tool>`. */
export const MCP_ACTION_PREFIX = 'mcp:';

const McpServerSchema = z.union([
  z.object({ url: z.url() }).strict(),
  z
    .object({
      command: z.string().min(1),
      args: z.array(z.string()).optional(),
      env: z.record(z.string(), z.string()).optional(),
      cwd: z.string().optional(),
    })
    .strict(),
]);
/** One MCP server: streamable HTTP (`url`) or a process speaking stdio (`command`, `args`, ...). */
export type McpServerConfig = z.infer<typeof McpServerSchema>;

const McpServersSchema = z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), McpServerSchema);

/**
 * `CANOPY_MCP_SERVERS`: a JSON object of servers by name, e.g.
 * `{"files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/data"]},
 *   "search": {"url": "http://127.0.0.1:8931/mcp"}}`. Empty when unset; a bad value is an error
 * naming the variable.
 */
export function mcpServersFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, McpServerConfig> {
  const text = env.CANOPY_MCP_SERVERS?.trim();
  return text ? parseMcpServers(text, 'CANOPY_MCP_SERVERS') : {};
}

/**
 * The same JSON object of servers by name, from elsewhere (`canopy run --mcp-servers`); `source`
 * names where it came from in the error a bad value gives.
 */
export function parseMcpServers(text: string, source: string): Record<string, McpServerConfig> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${source} must be a JSON object of servers by name`);
  }
  const parsed = McpServersSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * Resolves `mcp:<server>/<tool>` action names to calls of MCP tools, and any other name through
 * `fallback` (registered and remote actions). One client per server, connected on first use and
 * kept; a failed connection is tried again on the next call. A call is an ordinary async action:
 * the tick never waits, a halt aborts the request, `:into` gets the result.
 */
export class McpTools implements ActionResolver {
  private readonly clients = new Map<string, Promise<Client>>();

  /** `configuredBy` is named when a tree asks for a server that is not configured. */
  constructor(
    private readonly servers: Readonly<Record<string, McpServerConfig>>,
    private readonly fallback?: ActionResolver,
    private readonly configuredBy = 'CANOPY_MCP_SERVERS',
  ) {}

  resolve(name: string): ActionFn | undefined {
    if (!name.startsWith(MCP_ACTION_PREFIX)) return this.fallback?.resolve(name);
    const rest = name.slice(MCP_ACTION_PREFIX.length);
    const slash = rest.indexOf('/');
    const server = rest.slice(0, slash);
    const tool = rest.slice(slash + 1);
    return (args, ctx) => this.call(server, tool, args, ctx.signal);
  }

  private async call(server: string, tool: string, args: Readonly<Record<string, unknown>>, signal: AbortSignal) {
    if (this.servers[server] === undefined)
      throw new ActionError('ACTION_UNAVAILABLE', `no MCP server named "${server}" (${this.configuredBy})`);
    let client: Client;
    try {
      client = await this.client(server);
    } catch (error) {
      throw new ActionError('ACTION_UNAVAILABLE', `MCP server "${server}" is unreachable: ${(error as Error).message}`);
    }
    let result: Awaited<ReturnType<Client['callTool']>>;
    try {
      result = await client.callTool({ name: tool, arguments: { ...args } }, undefined, { signal });
    } catch (error) {
      // The server went away during the call (a stdio process that exited, an HTTP server that
      // closed the session): unavailable, like one that cannot be reached. The next call connects again.
      if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed)
        throw new ActionError('ACTION_UNAVAILABLE', `MCP server "${server}" closed the connection during ${tool}: ${error.message}`);
      throw error;
    }
    const text = textOf(result.content);
    if (result.isError === true) throw new ActionError('ACTION_FAILED', `MCP tool ${server}/${tool}: ${text}`);
    // Structured content when the tool gives it; else its text (JSON when the text is JSON).
    return { status: 'SUCCESS' as const, output: result.structuredContent ?? jsonOrText(text) };
  }

  private client(server: string): Promise<Client> {
    let made = this.clients.get(server);
    if (made === undefined) {
      const forget = (p: Promise<Client>) => {
        if (this.clients.get(server) === p) this.clients.delete(server);
      };
      const connecting: Promise<Client> = connect(this.servers[server], () => forget(connecting));
      made = connecting;
      this.clients.set(server, made);
      // Not kept when it failed or once its connection closed: the next call connects again.
      made.catch(() => forget(connecting));
    }
    return made;
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(all.map(async (c) => (await c).close()));
  }
}

async function connect(config: McpServerConfig, onClose: () => void): Promise<Client> {
  const client = new Client({ name: 'canopy', version: '1.0.0' });
  client.onclose = onClose;
  const transport =
    'url' in config
      ? new StreamableHTTPClientTransport(new URL(config.url))
      : new StdioClientTransport({ command: config.command, args: config.args, env: config.env, cwd: config.cwd, stderr: 'ignore' });
  await client.connect(transport);
  return client;
}

function textOf(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .map((c: { type?: string; text?: string }) => (c.type === 'text' && typeof c.text === 'string' ? c.text : ''))
    .join('');
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
