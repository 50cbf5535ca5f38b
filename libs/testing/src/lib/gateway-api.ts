import type { Execution, TickResponse, TreeSummary } from '@canopy/contracts';
import { authHeaders, TEST_ADMIN_KEY } from './auth';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  body: T;
}

/** The gateway over real HTTP (fetch), nothing else; authenticated with `key` (null: no credentials). */
export class GatewayApi {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
    readonly key: string | null = TEST_ADMIN_KEY,
  ) {}

  /** The same gateway with other credentials. */
  as(key: string | null): GatewayApi {
    return new GatewayApi(this.baseUrl, this.timeoutMs, key);
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    raw?: string,
  ): Promise<ApiResponse<T>> {
    const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(this.key === null ? {} : authHeaders(this.key)),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: payload,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  }

  get<T = unknown>(path: string) {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body);
  }

  put<T = unknown>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body);
  }

  delete<T = unknown>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Expects `status`; otherwise fails with the whole response, which says why. */
  async ok<T>(res: Promise<ApiResponse<T>>, status = 200): Promise<T> {
    const r = await res;
    if (r.status !== status) {
      throw new Error(`expected HTTP ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
    }
    return r.body;
  }

  registerTree(source: string, file?: string): Promise<TreeSummary> {
    return this.ok(this.post<TreeSummary>('/trees', { source, ...(file ? { file } : {}) }), 201);
  }

  createExecution(body: Record<string, unknown>): Promise<Execution> {
    return this.ok(this.post<Execution>('/executions', body), 201);
  }

  execution(id: string): Promise<Execution> {
    return this.ok(this.get<Execution>(`/executions/${id}`));
  }

  tick(id: string, count?: number): Promise<TickResponse> {
    return this.ok(
      this.post<TickResponse>(
        `/executions/${id}/tick`,
        count === undefined ? undefined : { count },
      ),
    );
  }
}
