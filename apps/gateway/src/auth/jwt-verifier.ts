import { RoleSchema } from '@canopy/contracts';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyOptions,
} from 'jose';
import { z } from 'zod';
import type { GatewayConfig } from '../config';
import type { Principal } from './principal';

/** The claims Canopy reads besides `sub`/`exp`: docs/security.md ("JWT claims"). */
const CanopyClaimsSchema = z.object({
  sub: z.string().min(1),
  role: RoleSchema,
  teams: z.array(z.string().min(1)).min(1).optional(),
});

/** Verifies JWT bearer tokens with JWT_SECRET (HS256) and/or the keys at JWT_JWKS_URL. */
export class JwtVerifier {
  private readonly secret?: Uint8Array;
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;
  private readonly options: JWTVerifyOptions;

  constructor(config: GatewayConfig) {
    if (config.JWT_SECRET) this.secret = new TextEncoder().encode(config.JWT_SECRET);
    if (config.JWT_JWKS_URL) this.jwks = createRemoteJWKSet(new URL(config.JWT_JWKS_URL));
    this.options = {
      ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
      ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
      // A few seconds of clock difference between the issuer and the gateway.
      clockTolerance: 5,
    };
  }

  get enabled(): boolean {
    return this.secret !== undefined || this.jwks !== undefined;
  }

  /** The token's principal, or undefined when no configured key verifies it or its claims are not Canopy's. */
  async verify(token: string): Promise<Principal | undefined> {
    const payload = await this.payload(token);
    if (!payload) return undefined;
    const claims = CanopyClaimsSchema.safeParse(payload);
    if (!claims.success) return undefined;
    const { sub, role, teams } = claims.data;
    return { id: `jwt:${sub}`, role, ...(teams ? { teams } : {}) };
  }

  private async payload(token: string): Promise<JWTPayload | undefined> {
    // An HS256 token is checked against the secret only, any other against the JWKS only: the
    // algorithm lists keep a public JWKS key from being used as an HMAC secret.
    const header = decodeHeader(token);
    if (this.secret && header?.alg === 'HS256') {
      return jwtVerify(token, this.secret, { ...this.options, algorithms: ['HS256'] })
        .then((result) => result.payload)
        .catch(() => undefined);
    }
    if (this.jwks && header && header.alg !== 'HS256') {
      return jwtVerify(token, this.jwks, this.options)
        .then((result) => result.payload)
        .catch(() => undefined);
    }
    return undefined;
  }
}

function decodeHeader(token: string): { alg?: string } | undefined {
  try {
    return decodeProtectedHeader(token);
  } catch {
    return undefined;
  }
}
