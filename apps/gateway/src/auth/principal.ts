import type { Role } from '@canopy/contracts';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who made a request, as the auth hook established it. */
export interface Principal {
  /** Stable per credential: the rate-limit bucket and what logs name (never the secret). */
  id: string;
  role: Role;
  /** Absent: every team. */
  teams?: readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    canopyPrincipal?: Principal;
  }
}

/** Whether `principal` may touch something of `team` (an execution, a `team:` scope). */
export function seesTeam(principal: Principal, team: string | undefined): boolean {
  if (!principal.teams) return true;
  return team !== undefined && principal.teams.includes(team);
}

/** The request's principal in a controller: `@CurrentPrincipal() principal: Principal`. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const principal = ctx.switchToHttp().getRequest<FastifyRequest>().canopyPrincipal;
  // The auth hook runs before every declared route; reaching here without it is a bug.
  if (!principal) throw new Error('no principal on an authenticated route');
  return principal;
});
