import type { ReactNode } from 'react';
import { hrefOf, navigate, type Route } from '../lib/router';

export function Link({ route, children, className }: { route: Route; children: ReactNode; className?: string }) {
  return (
    <a
      href={hrefOf(route)}
      className={className}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(route);
      }}
    >
      {children}
    </a>
  );
}
