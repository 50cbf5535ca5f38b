import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AppError } from '@canopy/service-kit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { accessConfig } from '../auth/access';
import { MCP_TOOLS, type McpTool } from './mcp-tools';

export const MCP_PATH = '/mcp';
/** Request headers that carry the caller's credentials (docs/security.md), passed on to each tool. */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key'] as const;

/**
 * `POST /mcp`: Canopy as an MCP server (streamable HTTP, stateless: every request is answered
 * on its own, as plain JSON). Each tool is one REST route run in-process with the caller's
 * credentials (`fastify.inject`), so an assistant can do exactly what its key may do, and gets
 * the API's error bodies. The route itself needs any valid credential (`viewer`).
 */
export function registerMcpRoute(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.route({
    method: 'POST',
    url: MCP_PATH,
    config: accessConfig('viewer'),
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const server = mcpServer(fastify, credentialsOf(req));
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req.raw, reply.raw, req.body);
    },
  });
  // Stateless: no server-initiated stream to open (GET) and no session to end (DELETE).
  for (const method of ['GET', 'DELETE'] as const) {
    fastify.route({
      method,
      url: MCP_PATH,
      config: accessConfig('viewer'),
      handler: (_req, reply) => {
        const error = new AppError(
          'METHOD_NOT_ALLOWED',
          `${MCP_PATH} is a stateless MCP endpoint: POST JSON-RPC messages to it`,
        );
        return reply.code(error.httpStatus).header('allow', 'POST').send(error.toBody());
      },
    });
  }
}

function credentialsOf(req: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of CREDENTIAL_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

function mcpServer(fastify: FastifyInstance, credentials: Record<string, string>): McpServer {
  const server = new McpServer({ name: 'canopy', version: '0.1.0' });
  for (const tool of MCP_TOOLS) {
    server.registerTool(
      tool.name,
      {
        description: tool.description,
        inputSchema: tool.input,
        annotations: { readOnlyHint: tool.readOnly },
      },
      (args: Record<string, unknown>) => call(fastify, tool, args, credentials),
    );
  }
  return server;
}

/** The tool's route, answered as MCP content: the JSON body, an error when the status is 4xx/5xx. */
async function call(
  fastify: FastifyInstance,
  tool: McpTool,
  args: Record<string, unknown>,
  credentials: Record<string, string>,
) {
  const { method, url, body } = tool.request(args as never);
  const res = await fastify.inject({
    method,
    url,
    headers: { ...credentials, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  const text = res.body || JSON.stringify({ status: res.statusCode });
  return { content: [{ type: 'text' as const, text }], isError: res.statusCode >= 400 };
}
