import {
  type CreateExecutionRequest,
  type Execution,
  type ReloadPolicy,
  ReloadPolicySchema,
  type ReloadReply,
  type TreeRecord,
  type TreeSummary,
  type ApiKey,
  type CreatedKey,
  type CreateKeyRequest,
} from '@canopy/contracts';
import { CanopyClient, CanopyError, CanopyUnreachable, unwrap } from '@canopy/sdk';
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

/** The SDK's errors under the names the CLI reports them by (report.ts). */
export { CanopyError as GatewayError, CanopyUnreachable as GatewayUnreachable };

export type { ReloadPolicy, ReloadReply };
/** The policies `PUT /executions/:id/tree` takes, from its schema. */
export const RELOAD_POLICIES: readonly ReloadPolicy[] = ReloadPolicySchema.options;

/** The gateway's REST routes the CLI uses, through @canopy/sdk. */
export class GatewayClient {
  readonly sdk: CanopyClient;

  constructor(
    readonly baseUrl: string,
    key: string | undefined = apiKey(),
  ) {
    this.sdk = new CanopyClient({ baseUrl, apiKey: key, timeoutMs: REQUEST_TIMEOUT_MS });
  }

  createKey(body: CreateKeyRequest): Promise<CreatedKey> {
    return unwrap(this.sdk.rest.POST('/keys', { body }));
  }

  listKeys(): Promise<ApiKey[]> {
    return unwrap(this.sdk.rest.GET('/keys'));
  }

  revokeKey(id: string): Promise<{ revoked: true }> {
    return unwrap(this.sdk.rest.DELETE('/keys/{id}', { params: { path: { id } } }));
  }

  registerTree(source: string, file: string): Promise<TreeSummary> {
    return unwrap(this.sdk.rest.POST('/trees', { body: { source, file } }));
  }

  getTree(name: string, version: number): Promise<TreeRecord> {
    return unwrap(
      this.sdk.rest.GET('/trees/{name}/versions/{v}', { params: { path: { name, v: version } } }),
    ) as Promise<TreeRecord>;
  }

  createExecution(body: Partial<CreateExecutionRequest> & { tree: string }): Promise<Execution> {
    return unwrap(this.sdk.rest.POST('/executions', { body }));
  }

  getExecution(id: string): Promise<Execution> {
    return unwrap(this.sdk.rest.GET('/executions/{id}', { params: { path: { id } } }));
  }

  stopExecution(id: string): Promise<Execution> {
    return unwrap(this.sdk.rest.POST('/executions/{id}/stop', { params: { path: { id } } }));
  }

  reloadTree(
    id: string,
    body: { source: string; file: string; policy?: ReloadPolicy },
  ): Promise<ReloadReply> {
    return unwrap(
      this.sdk.rest.PUT('/executions/{id}/tree', { params: { path: { id } }, body }),
    ) as Promise<ReloadReply>;
  }
}
