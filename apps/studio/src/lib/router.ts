// Studio's few routes under /studio, on the History API (the gateway answers index.html for any
// /studio/* path, so a reload of /studio/executions/x works).
import { useEffect, useState } from 'react';

export const BASE = '/studio';

export type Route =
  | { page: 'executions' }
  | { page: 'execution'; id: string }
  | { page: 'team'; team: string };

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'executions' && parts[1]) return { page: 'execution', id: parts[1] };
  if (parts[0] === 'teams' && parts[1]) return { page: 'team', team: parts[1] };
  return { page: 'executions' };
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'execution':
      return `${BASE}/executions/${encodeURIComponent(route.id)}`;
    case 'team':
      return `${BASE}/teams/${encodeURIComponent(route.team)}`;
    default:
      return `${BASE}/`;
  }
}

export function navigate(route: Route): void {
  window.history.pushState(null, '', hrefOf(route));
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return route;
}
