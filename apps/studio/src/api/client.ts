// Studio's gateway client: @canopy/sdk/rest, the SDK's browser entry (every route typed from the
// gateway's OpenAPI document; docs/sdk.md). Same origin as the page; the key of this browser
// session (auth.ts) is asked at every request and every stream connection, so a key entered
// later is used from the next call on.
import { CanopyClient, CanopyError, unwrap } from '@canopy/sdk/rest';
import { storedKey } from './auth';
import type { TreeStructure } from './types';

export { CanopyError, unwrap };

export function currentKey(): string | undefined {
  return storedKey(sessionStorage);
}

export const canopy = new CanopyClient({ baseUrl: window.location.origin, apiKey: currentKey });

/** Every REST route: `unwrap(rest.GET('/executions/{id}', { params: { path: { id } } }))`. */
export const rest = canopy.rest;

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called on every 401: Studio asks for a key. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

rest.use({
  onResponse: ({ response }) => {
    if (response.status === 401) unauthorizedListeners.forEach((l) => l());
    return undefined;
  },
});

/** The `{id}` path parameter most execution routes take: `rest.POST('/executions/{id}/stop', byId(id))`. */
export const byId = (id: string) => ({ params: { path: { id } } });

/** Every execution the key may see, up to the route's 1,000 (docs/studio.md, "Limits"). */
export const allExecutions = () => unwrap(rest.GET('/executions', { params: { query: { limit: 1000 } } }));

/**
 * A built tree's nodes: `GET /trees/:name/visualize?format=json`. The OpenAPI document describes
 * that route's pictures, not this JSON, so its shape is Studio's (types.ts).
 */
export async function treeStructure(name: string, version?: number): Promise<TreeStructure> {
  const data: unknown = await unwrap(
    rest.GET('/trees/{name}/visualize', { params: { path: { name }, query: { format: 'json', version } }, parseAs: 'json' }),
  );
  return data as TreeStructure;
}
