import { type Role } from '@canopy/contracts';
import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';

/** What a route needs, declared next to it with `@Access(...)` and enforced by auth-hooks.ts. */
export interface AccessRule {
  role: Role;
  /**
   * The route changes what every team shares (trees, the global scope, keys): a key limited to
   * teams is refused whatever its role.
   */
  unrestricted?: boolean;
  /** `:id` names an execution: a team-limited key sees only its teams' (others answer 404). */
  execution?: boolean;
  /** `:scope` names a blackboard scope; `write` also needs an unrestricted admin for `global`. */
  scope?: 'read' | 'write';
  /** The body's `team` creates something in a team: a team-limited key must name one of its own. */
  bodyTeam?: boolean;
  /**
   * Browsers cannot set headers on a WebSocket or an EventSource: these routes also take the token
   * from the `access_token` query parameter (and the WebSocket from its subprotocol).
   */
  streamToken?: boolean;
}

/** Route config key holding the AccessRule (Fastify's `routeOptions.config`). */
export const ACCESS_CONFIG = 'canopyAccess';

declare module 'fastify' {
  interface FastifyContextConfig {
    canopyAccess?: AccessRule;
  }
}
/** OpenAPI extension naming each operation's role (the route table the auth tests walk). */
export const ROLE_EXTENSION = 'x-canopy-role';
export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'apiKey';

/**
 * The one declaration of who may call a route: `@Access('operator', { execution: true })`. A
 * route without it is refused to everyone (default deny). It also puts the route's security and
 * role in the OpenAPI document.
 */
export function Access(role: Role, rule: Omit<AccessRule, 'role'> = {}): MethodDecorator {
  return applyDecorators(
    RouteConfig({ [ACCESS_CONFIG]: { role, ...rule } satisfies AccessRule }),
    ApiBearerAuth(BEARER_SCHEME),
    ApiSecurity(API_KEY_SCHEME),
    ApiExtension(ROLE_EXTENSION, role),
  );
}

/** Fastify route config of a route declared outside Nest (the WebSocket). */
export function accessConfig(
  role: Role,
  rule: Omit<AccessRule, 'role'> = {},
): { canopyAccess: AccessRule } {
  return { [ACCESS_CONFIG]: { role, ...rule } };
}
