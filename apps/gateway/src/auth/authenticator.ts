import { API_KEY_PREFIX } from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { GatewayConfig } from '../config';
import { JwtVerifier } from './jwt-verifier';
import { hashKey, type KeyStore } from './key-store';
import type { Principal } from './principal';

/** `Sec-WebSocket-Protocol` entry carrying a token: `canopy.bearer.<token>`. */
export const WS_TOKEN_PROTOCOL_PREFIX = 'canopy.bearer.';
/** The query parameter a WebSocket or SSE request may carry its token in. */
export const TOKEN_QUERY_PARAM = 'access_token';

/** Every credential that can reach a request, first found wins (docs/security.md). */
export function tokenOf(req: FastifyRequest, streamToken: boolean): string | undefined {
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  const authorization = req.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1] ?? '';
  }
  if (!streamToken) return undefined;
  const query = req.query as Record<string, unknown> | undefined;
  const fromQuery = query?.[TOKEN_QUERY_PARAM];
  if (typeof fromQuery === 'string' && fromQuery) return fromQuery;
  const protocols = req.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    const entry = protocols
      .split(',')
      .map((p) => p.trim())
      .find((p) => p.startsWith(WS_TOKEN_PROTOCOL_PREFIX));
    if (entry) return entry.slice(WS_TOKEN_PROTOCOL_PREFIX.length);
  }
  return undefined;
}

/** Turns a token into a principal: the bootstrap admin key, a stored API key or a JWT. */
export class Authenticator {
  private readonly adminKeyHash?: Buffer;
  readonly jwt: JwtVerifier;

  constructor(
    config: GatewayConfig,
    private readonly keys: KeyStore,
  ) {
    if (config.CANOPY_ADMIN_KEY) this.adminKeyHash = Buffer.from(hashKey(config.CANOPY_ADMIN_KEY));
    this.jwt = new JwtVerifier(config);
  }

  /** The principal, or 401 UNAUTHENTICATED (the same answer for every kind of bad token). */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (token === undefined) {
      throw new AppError(
        'UNAUTHENTICATED',
        'credentials required: Authorization: Bearer <key or token>, or X-API-Key: <key>',
      );
    }
    const principal = await this.resolve(token);
    if (!principal)
      throw new AppError('UNAUTHENTICATED', 'invalid, expired or revoked credentials');
    return principal;
  }

  private async resolve(token: string): Promise<Principal | undefined> {
    if (!token || token.length > 8192) return undefined;
    // Comparing hashes in constant time: the admin key cannot be found a character at a time.
    if (this.adminKeyHash && timingSafeEqual(Buffer.from(hashKey(token)), this.adminKeyHash)) {
      return { id: 'key:admin', role: 'admin' };
    }
    if (token.startsWith(API_KEY_PREFIX)) {
      const record = await this.keys.lookup(token);
      return (
        record && {
          id: `key:${record.id}`,
          role: record.role,
          ...(record.teams ? { teams: record.teams } : {}),
        }
      );
    }
    return this.jwt.enabled ? this.jwt.verify(token) : undefined;
  }
}
