import {
  type CreateExecutionRequest,
  type ErrorBody,
  type Execution,
  isErrorBody,
  type ReloadPolicy,
  ReloadPolicySchema,
  type ReloadReply,
  type TreeRecord,
  type TreeSummary,
  type ApiKey,
  type CreatedKey,
  type CreateKeyRequest,
} from '@canopy/contracts';
import { UsageError } from '../args';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:3000';
/** One request; a gateway that holds a request longer is treated as unreachable. */
const REQUEST_TIMEOUT_MS = 30_000;

/** `--gateway URL`, else `CANOPY_GATEWAY_URL`, else the local stack's gateway. */
export function gatewayUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? env['CANOPY_GATEWAY_URL'] ?? DEFAULT_GATEWAY_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--gateway must be an http(s) URL, got '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--gateway must be an http(s) URL, got '${raw}'`);
  }
  return raw.replace(/\/+$/, '');
}

/** The gateway's credentials: `CANOPY_API_KEY` (an API key or a JWT; `npm start` prints one). */
export function apiKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const key = env['CANOPY_API_KEY']?.trim();
  return key ? key : undefined;
}

/** The gateway answered with an error: its `{error:{code,message,...}}` when it sent one. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody['error'] | undefined,
    message: string,
  ) {
    super(message);
  }

  get code(): string | undefined {
    return this.body?.code;
  }
}

/** Nothing answered at the gateway's address (refused, unknown host, timed out). */
export class GatewayUnreachable extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach the gateway at ${url} (${reason})`);
  }
}

export type { ReloadPolicy, ReloadReply };
/** The policies `PUT /executions/:id/tree` takes, from its schema. */
export const RELOAD_POLICIES: readonly ReloadPolicy[] = ReloadPolicySchema.options;

/** The gateway's REST routes the CLI uses, over the global fetch. */
export class GatewayClient {
  constructor(
    readonly baseUrl: string,
    private readonly key: string | undefined = apiKey(),
  ) {}

  /** What authenticates a request (the WebSocket too: Node's client can set headers). */
  authHeaders(): Record<string, string> {
    return this.key ? { authorization: `Bearer ${this.key}` } : {};
  }

  createKey(body: CreateKeyRequest): Promise<CreatedKey> {
    return this.request('POST', '/keys', body);
  }

  listKeys(): Promise<ApiKey[]> {
    return this.request('GET', '/keys');
  }

  revokeKey(id: string): Promise<{ revoked: true }> {
    return this.request('DELETE', `/keys/${encodeURIComponent(id)}`);
  }

  registerTree(source: string, file: string): Promise<TreeSummary> {
    return this.request('POST', '/trees', { source, file });
  }

  getTree(name: string, version: number): Promise<TreeRecord> {
    return this.request('GET', `/trees/${encodeURIComponent(name)}/versions/${version}`);
  }

  createExecution(body: Partial<CreateExecutionRequest> & { tree: string }): Promise<Execution> {
    return this.request('POST', '/executions', body);
  }

  getExecution(id: string): Promise<Execution> {
    return this.request('GET', `/executions/${encodeURIComponent(id)}`);
  }

  stopExecution(id: string): Promise<Execution> {
    return this.request('POST', `/executions/${encodeURIComponent(id)}/stop`);
  }

  reloadTree(
    id: string,
    body: { source: string; file: string; policy?: ReloadPolicy },
  ): Promise<ReloadReply> {
    return this.request('PUT', `/executions/${encodeURIComponent(id)}/tree`, body);
  }

  /** `ws(s)://…/executions/:id/ws?…` */
  streamUrl(id: string, query: Record<string, string>): string {
    const url = new URL(`${this.baseUrl}/executions/${encodeURIComponent(id)}/ws`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url.toString();
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...this.authHeaders(),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new GatewayUnreachable(this.baseUrl, reasonOf(error));
    }
    const text = await res.text();
    if (res.ok) return (text ? JSON.parse(text) : undefined) as T;
    throw errorOf(res.status, res.statusText, text);
  }
}

/** A non-2xx answer as a GatewayError: the error body when there is one, else the text. */
export function errorOf(status: number, statusText: string, text: string): GatewayError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (isErrorBody(parsed)) return new GatewayError(status, parsed.error, parsed.error.message);
  const snippet = text.trim().slice(0, 200);
  return new GatewayError(
    status,
    undefined,
    `HTTP ${status} ${statusText}${snippet ? `: ${snippet}` : ''}`,
  );
}

/** Why fetch (or a socket) failed, in a word: ECONNREFUSED, ENOTFOUND, timed out. */
export function reasonOf(error: unknown): string {
  // Shapes, not instanceof: fetch's errors may come from another realm (Jest, vm contexts).
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    cause?: unknown;
  };
  if (e.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = (e.cause ?? error) as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof cause?.message === 'string' ? cause.message : String(cause);
}
