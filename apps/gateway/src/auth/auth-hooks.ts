import { RedisKeys, roleAllows, Subjects } from '@canopy/contracts';
import { AppError, LOGGER } from '@canopy/service-kit';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { ServiceClient } from '../nats/service-client';
import { ACCESS_CONFIG, type AccessRule } from './access';
import { Authenticator, tokenOf } from './authenticator';
import { KeyStore } from './key-store';
import { type Principal, seesTeam } from './principal';

/**
 * Routes anyone may call: the probes (an orchestrator has no key), the API's description
 * (`/docs`, `/openapi.json`: the shape of the API, no data; it says how to authenticate) and
 * Studio's static files (`/studio`).
 */
export function isPublicRoute(url: string | undefined, method: string): boolean {
  if (url === undefined) return false;
  if (url === '/healthz' || url === '/readyz' || url === '/openapi.json') return true;
  if (url === '/docs' || url.startsWith('/docs/')) return true;
  // Studio's static files: the page holds no data; every API call it makes carries the key.
  if (url === '/studio' || url.startsWith('/studio/')) return true;
  // @fastify/cors answers preflights on its own `OPTIONS *` route (only registered with CORS on).
  return method === 'OPTIONS' && url === '*';
}

/** Everyone is this when CANOPY_AUTH=off. */
const AUTH_OFF_PRINCIPAL: Principal = { id: 'auth-off', role: 'admin' };

/**
 * Authentication, authorization, rate limits, CORS and security headers, as Fastify hooks over
 * every route (Nest's, the WebSocket, Swagger's). On each request:
 * onRequest: public route? -> credentials (401) -> the route's `@Access` rule, none = 403 ->
 * role (403) -> rate limit (429); preValidation (params and body known): teams.
 */
export async function installAuth(app: NestFastifyApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const config = app.get<GatewayConfig>(GATEWAY_CONFIG);
  const logger = app.get<Logger>(LOGGER);
  const authenticator = new Authenticator(config, app.get(KeyStore));
  const services = app.get(ServiceClient);
  const authOn = config.CANOPY_AUTH === 'on';

  if (!authOn) {
    logger.warn('CANOPY_AUTH=off: authentication is OFF, anyone who reaches the gateway is admin');
  } else if (!config.CANOPY_ADMIN_KEY && !authenticator.jwt.enabled) {
    logger.warn(
      'no CANOPY_ADMIN_KEY and no JWT_SECRET/JWT_JWKS_URL: only stored API keys are accepted',
    );
  }

  if (config.CORS_ORIGINS.length > 0) {
    await fastify.register(cors, {
      origin: config.CORS_ORIGINS,
      allowedHeaders: ['authorization', 'x-api-key', 'content-type', 'traceparent'],
      exposedHeaders: ['retry-after', 'x-trace-id'],
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
    });
  }
  // Security headers on every response; the CSP matters for the HTML pages (/docs, later
  // /studio): scripts and styles from the gateway only (Swagger UI needs inline styles).
  await fastify.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  await fastify.register(rateLimit, {
    global: false,
    redis: app.get(Redis),
    nameSpace: RedisKeys.rateLimitPrefix,
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW_MS,
    // Redis away: requests go on uncounted rather than all failing (the limit protects capacity;
    // it is not what keeps anyone out).
    skipOnError: true,
  });
  const limit = fastify.createRateLimit({
    keyGenerator: (req) => req.canopyPrincipal?.id ?? `ip:${req.ip}`,
  });

  const fail = (reply: FastifyReply, error: AppError): FastifyReply =>
    reply.code(error.httpStatus).send(error.toBody());

  fastify.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const url = req.routeOptions.url;
    if (isPublicRoute(url, req.method)) return;
    const rule = accessRule(req);
    try {
      req.canopyPrincipal = authOn
        ? await authenticator.authenticate(tokenOf(req, rule?.streamToken === true))
        : { ...AUTH_OFF_PRINCIPAL, id: `ip:${req.ip}` };
    } catch (error) {
      if (error instanceof AppError) return fail(reply, error);
      throw error;
    }
    // No route matched: authenticated callers get the ordinary 404.
    if (url === undefined) return;
    const principal = req.canopyPrincipal;
    if (!rule) return fail(reply, new AppError('FORBIDDEN', 'this route declares no access rule'));
    if (!roleAllows(principal.role, rule.role)) {
      return fail(
        reply,
        new AppError(
          'FORBIDDEN',
          `needs role ${rule.role}, the credentials have ${principal.role}`,
        ),
      );
    }
    if (rule.unrestricted && principal.teams) {
      return fail(
        reply,
        new AppError(
          'FORBIDDEN',
          'a key limited to teams cannot use a route that covers every team',
        ),
      );
    }
    if (config.RATE_LIMIT_MAX > 0) {
      const result = await limit(req);
      if (!result.isAllowed && result.isExceeded) {
        void reply.header('retry-after', String(Math.max(1, result.ttlInSeconds)));
        return fail(
          reply,
          new AppError(
            'RATE_LIMITED',
            `more than ${result.max} requests in ${result.timeWindow} ms for these credentials`,
          ),
        );
      }
    }
  });

  fastify.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
    const principal = req.canopyPrincipal;
    const rule = accessRule(req);
    if (!principal || !rule) return;
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    try {
      if (rule.execution && params.id !== undefined) {
        await requireExecution(principal, params.id, 'EXECUTION_NOT_FOUND');
      }
      if (rule.scope && params.scope !== undefined) {
        await requireScope(principal, params.scope, rule.scope);
      }
      if (rule.bodyTeam && principal.teams) {
        const team = (req.body as { team?: unknown } | undefined)?.team;
        if (typeof team !== 'string' || !seesTeam(principal, team)) {
          throw new AppError(
            'FORBIDDEN',
            `a key limited to teams must set "team" to one of: ${principal.teams.join(', ')}`,
          );
        }
      }
    } catch (error) {
      if (error instanceof AppError) return fail(reply, error);
      throw error;
    }
  });

  /**
   * A team-limited principal reaches an execution of its teams only; another team's execution
   * answers like one that does not exist (`denied` 404), so ids of other teams are not revealed.
   */
  async function requireExecution(
    principal: Principal,
    id: string,
    denied: 'EXECUTION_NOT_FOUND' | 'FORBIDDEN',
  ): Promise<void> {
    if (!principal.teams) return;
    let team: string | undefined;
    try {
      team = (await services.call(Subjects.execGet, { id })).team;
    } catch (error) {
      // The route itself answers 404 for a missing execution (or 503 when nobody answers).
      if (denied === 'EXECUTION_NOT_FOUND' && error instanceof AppError && error.httpStatus === 404)
        return;
      if (error instanceof AppError && error.httpStatus === 404)
        throw new AppError(denied, `execution ${id} is not in the key's teams`);
      throw error;
    }
    if (!seesTeam(principal, team)) {
      throw denied === 'EXECUTION_NOT_FOUND'
        ? new AppError('EXECUTION_NOT_FOUND', `execution ${id} not found`)
        : new AppError('FORBIDDEN', `execution ${id} is not in the key's teams`);
    }
  }

  /** `global` is written by unrestricted admins only; `team:` and `exec:` scopes follow the teams. */
  async function requireScope(
    principal: Principal,
    scope: string,
    access: 'read' | 'write',
  ): Promise<void> {
    if (scope === 'global') {
      if (access === 'write' && (principal.role !== 'admin' || principal.teams)) {
        throw new AppError(
          'FORBIDDEN',
          'writing the global scope needs an admin key without teams',
        );
      }
      return;
    }
    if (scope.startsWith('team:')) {
      if (!seesTeam(principal, scope.slice('team:'.length))) {
        throw new AppError('FORBIDDEN', `scope ${scope} is not one of the key's teams`);
      }
      return;
    }
    if (scope.startsWith('exec:'))
      await requireExecution(principal, scope.slice('exec:'.length), 'FORBIDDEN');
  }
}

function accessRule(req: FastifyRequest): AccessRule | undefined {
  return req.routeOptions.config?.[ACCESS_CONFIG];
}
