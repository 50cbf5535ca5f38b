import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from '../generated/openapi';
import { CanopyUnreachable, errorOf, reasonOf } from './errors';

/** Every gateway route, typed from its OpenAPI document (`src/generated/openapi.ts`). */
export type CanopyPaths = paths;
export type CanopyRest = Client<paths>;

export interface CanopyClientOptions {
  /** The gateway, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /**
   * An API key (`cnpy_…`) or a JWT (docs/security.md). The gateway has authentication on by
   * default; without credentials only `/healthz`, `/readyz` and `/openapi.json` answer. A
   * function is asked at every request and every stream connection (a key that changes, as in a
   * browser session that asks the user for one).
   */
  apiKey?: string | (() => string | undefined);
  /** How the credential is sent: `Authorization: Bearer` (default) or `X-API-Key`. */
  authHeader?: 'bearer' | 'x-api-key';
  /** Per request; a gateway that holds a request longer is treated as unreachable. Default 30 s. */
  timeoutMs?: number;
  /** Another fetch (tests, proxies). Default the global one. */
  fetch?: (input: Request) => Promise<Response>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The REST client: `rest` has every route; `unwrap` turns a call into its data or a thrown error. */
export class CanopyClient {
  readonly baseUrl: string;
  readonly rest: CanopyRest;

  constructor(readonly options: CanopyClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.rest = createClient<paths>({
      baseUrl: this.baseUrl,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.rest.use(credentials(this), deadline(this.baseUrl, timeoutMs));
  }

  /** The API key or JWT now (`apiKey`, asked again each time when it is a function). */
  credential(): string | undefined {
    const { apiKey } = this.options;
    const key = (typeof apiKey === 'function' ? apiKey() : apiKey)?.trim();
    return key ? key : undefined;
  }

  /**
   * What authenticates a request; Node's WebSocket sends it too (a browser's cannot set headers:
   * there the credential goes in the `canopy.bearer.<key>` subprotocol, stream/browser-socket.ts).
   */
  authHeaders(): Record<string, string> {
    const key = this.credential();
    if (!key) return {};
    return this.options.authHeader === 'x-api-key'
      ? { 'x-api-key': key }
      : { authorization: `Bearer ${key}` };
  }

  /** `ws(s)://…/executions/:id/ws?…` */
  streamUrl(execId: string, query: Record<string, string> = {}): string {
    const url = new URL(`${this.baseUrl}/executions/${encodeURIComponent(execId)}/ws`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url.toString();
  }
}

export function createCanopyClient(options: CanopyClientOptions): CanopyClient {
  return new CanopyClient(options);
}

interface Outcome {
  data?: unknown;
  error?: unknown;
  response: Response;
}
/** The data of an openapi-fetch answer's success branch. */
export type SuccessData<R> = Extract<R, { error?: never }> extends { data: infer D } ? D : never;

/**
 * The data of a 2xx answer; a CanopyError (status, code, the error body) for any other answer, a
 * CanopyUnreachable when nothing answered:
 *
 *   const tree = await unwrap(client.rest.POST('/trees', { body: { source } }));
 */
export async function unwrap<R extends Outcome>(call: Promise<R>): Promise<SuccessData<R>> {
  const { data, error, response } = await call;
  if (response.ok) return data as SuccessData<R>;
  throw errorOf(response.status, response.statusText, error);
}

/**
 * The JSON a route answers with on success, by path and method:
 * `RestAnswer<'/executions/{id}', 'get'>` is an execution.
 */
export type RestAnswer<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? JsonOf<R[keyof R & (200 | 201 | 202)]>
  : never;

/** The JSON body a route takes, by path and method. */
export type RestBody<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: infer B;
}
  ? JsonOf<NonNullable<B>>
  : never;

type JsonOf<T> = T extends { content: { 'application/json': infer J } } ? J : never;

/** The credentials on every request that does not carry its own. */
function credentials(client: CanopyClient): Middleware {
  return {
    onRequest: ({ request }) => {
      for (const [name, value] of Object.entries(client.authHeaders()))
        if (!request.headers.has(name)) request.headers.set(name, value);
      return request;
    },
  };
}

/** A deadline on every request, and network failures as CanopyUnreachable. */
function deadline(baseUrl: string, timeoutMs: number): Middleware {
  return {
    onRequest: ({ request }) =>
      new Request(request, {
        signal: request.signal
          ? AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)])
          : AbortSignal.timeout(timeoutMs),
      }),
    onError: ({ error }) => new CanopyUnreachable(baseUrl, reasonOf(error, timeoutMs)),
  };
}
