import { randomBytes } from 'node:crypto';

/**
 * The admin key every gateway the harness starts accepts (CANOPY_ADMIN_KEY), and that GatewayApi
 * sends: the whole suite runs with auth on. Random per test process, like a real key.
 */
export const TEST_ADMIN_KEY = `cnpy_testadmin${randomBytes(24).toString('base64url')}`;

/** Headers that authenticate as TEST_ADMIN_KEY (or `key`). */
export function authHeaders(key: string = TEST_ADMIN_KEY): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

/**
 * The environment a gateway needs to accept TEST_ADMIN_KEY. Rate limits stay on (every request
 * still goes through the Redis counter) but high enough that load and chaos tests, which send
 * everything with the one admin key, never hit them; the auth tests set their own limit.
 */
export const GATEWAY_AUTH_ENV: Readonly<Record<string, string>> = {
  CANOPY_ADMIN_KEY: TEST_ADMIN_KEY,
  RATE_LIMIT_MAX: '100000000',
};
