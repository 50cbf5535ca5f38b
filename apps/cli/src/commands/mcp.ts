import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { parseArgs, positiveInt, rejectUnknown, single, UsageError } from '../args';
import { gatewayUrl } from '../gateway/client';
import { type Io, stopSignal } from '../io';
import { defineCanopyTools, type GatewayCall } from '../mcp/canopy-tools';

/** The MCP endpoint's path. */
export const MCP_PATH = '/mcp';

/**
 * Canopy as an MCP server (streamable HTTP, stateless): `POST /mcp` with the caller's
 * `Authorization: Bearer KEY`, which every tool forwards to the gateway, so the gateway
 * authenticates and authorises each call as it does REST. A request without credentials is 401.
 */
export function startCanopyMcp(gateway: string, port: number, host = '127.0.0.1') {
  const http = createServer((req, res) => {
    void (async () => {
      const auth = req.headers.authorization;
      if ((req.url ?? '').split('?')[0] !== MCP_PATH) return answer(res, 404, 'NOT_FOUND', `the MCP endpoint is ${MCP_PATH}`);
      if (!auth) return answer(res, 401, 'UNAUTHENTICATED', 'send the gateway key as Authorization: Bearer KEY');
      let body = '';
      for await (const chunk of req) body += chunk;
      let json: unknown;
      try {
        json = body ? (JSON.parse(body) as unknown) : undefined;
      } catch {
        return answer(res, 400, 'INVALID_JSON', 'the body is not JSON');
      }
      const call: GatewayCall = async (method, path, payload) => {
        const r = await fetch(`${gateway}${path}`, {
          method,
          headers: { authorization: auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
        });
        const text = await r.text();
        return { status: r.status, body: text ? (JSON.parse(text) as unknown) : null };
      };
      const server = new McpServer({ name: 'canopy', version: '1.0.0' });
      defineCanopyTools(server, call);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close().then(() => server.close()));
      await server.connect(transport);
      await transport.handleRequest(req, res, json);
    })().catch(() => {
      if (!res.headersSent) answer(res, 500, 'INTERNAL', 'the MCP request failed');
      else res.destroy();
    });
  });
  return new Promise<{ url: string; close(): Promise<void> }>((resolve) =>
    http.listen(port, host, () => {
      const { port: bound } = http.address() as AddressInfo;
      resolve({
        url: `http://${host}:${bound}${MCP_PATH}`,
        close: () =>
          new Promise((done) => {
            http.closeAllConnections();
            http.close(() => done());
          }),
      });
    }),
  );
}

function answer(res: import('node:http').ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
}

/** `canopy mcp [--gateway URL] [--port N]`: serves the MCP endpoint until Ctrl-C. */
export async function mcpCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, new Set());
  rejectUnknown(args, ['gateway', 'port']);
  if (args.positionals.length > 0) throw new UsageError('mcp takes no positional arguments');
  const port = positiveInt(args, 'port', 3100, 0);
  if (port > 65535) throw new UsageError('--port must be at most 65535');
  const mcp = await startCanopyMcp(gatewayUrl(single(args, 'gateway')), port);
  io.out(`canopy MCP server at ${mcp.url}\n`);
  const stop = stopSignal(io);
  try {
    await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    stop.dispose();
    await mcp.close();
  }
  return 0;
}
