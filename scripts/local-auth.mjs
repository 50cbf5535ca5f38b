// `npm start`'s auth: the gateway runs with auth on and a local admin key, which is printed as a
// `CANOPY_API_KEY=<key>` line (the CLI and the SDK read that variable) and as a Studio link whose
// fragment carries the key (`#key=...` never leaves the browser, so no server log sees it).
// docs/security.md ("Gateway authentication").
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The key file under .data/: kept across restarts, so an exported CANOPY_API_KEY stays valid. */
export const KEY_FILE = 'admin-key';

/**
 * The local admin key: $CANOPY_ADMIN_KEY when set, else the one in `keyPath`, else a new random
 * one written there (mode 0600). With CANOPY_AUTH=off there is no key and the gateway warns.
 */
export function localAuth(keyPath, env = process.env) {
  if (env.CANOPY_AUTH === 'off') return { key: undefined, gatewayEnv: { CANOPY_AUTH: 'off' } };
  let key = env.CANOPY_ADMIN_KEY?.trim();
  if (!key && existsSync(keyPath)) key = readFileSync(keyPath, 'utf8').trim();
  if (!key) {
    key = `cnpy_${randomBytes(32).toString('base64url')}`;
    mkdirSync(dirname(keyPath), { recursive: true });
    writeFileSync(keyPath, `${key}\n`, { mode: 0o600 });
  }
  // A file made by hand (or by an older checkout) may be readable by others.
  if (existsSync(keyPath)) chmodSync(keyPath, 0o600);
  return { key, gatewayEnv: { CANOPY_AUTH: 'on', CANOPY_ADMIN_KEY: key } };
}

/** Headers that authenticate `npm start`'s own requests (registering the examples). */
export function authHeaders(auth) {
  return auth.key ? { authorization: `Bearer ${auth.key}` } : {};
}

/** What `npm start` prints once the stack is up: the key line and the Studio link. */
export function announcement(auth, gateway) {
  if (!auth.key) return ['auth is OFF (CANOPY_AUTH=off): anyone who reaches the gateway is admin'];
  return [
    `CANOPY_API_KEY=${auth.key}`,
    `Studio: ${gateway}/studio#key=${auth.key}`,
  ];
}
