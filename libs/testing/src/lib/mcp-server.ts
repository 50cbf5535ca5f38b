import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export interface TestMcpServer {
  /** The streamable HTTP endpoint. */
  url: string;
  close(): Promise<void>;
}

/**
 * A real MCP server (the SDK's own `McpServer`) over streamable HTTP on a free port, stateless:
 * `define` registers the tools on the server made for each request.
 */
export async function startMcpServer(define: (server: McpServer) => void): Promise<TestMcpServer> {
  const http: Server = createServer((req, res) => {
    void (async () => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const server = new McpServer({ name: 'test-tools', version: '1.0.0' });
      define(server);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close().then(() => server.close()));
      await server.connect(transport);
      await transport.handleRequest(req, res, body ? (JSON.parse(body) as unknown) : undefined);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
