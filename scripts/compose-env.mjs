// The secrets docker-compose.yml requires, generated once into an env file (default `.env` next
// to docker-compose.yml, which compose reads and git ignores): the gateway's admin key
// (CANOPY_ADMIN_KEY) and each service's NATS and Redis password. Values already in the file are
// kept, so the admin key stays valid across runs. Prints the key as `CANOPY_API_KEY=<key>` for
// the CLI and the SDK (docs/security.md, "Gateway authentication").
//
//   node scripts/compose-env.mjs [FILE]
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const SERVICES = ['TICK_RUNNER', 'BLACKBOARD', 'HISTORY', 'GATEWAY'];

/** Every variable the compose file requires, with a fresh value. */
export function freshComposeSecrets() {
  // A letter first: nats-server parses a `$VAR` in its config as a value, so a password such as
  // `8e31…` would be read as a number (and fail); `p` + hex is always a string to it and to Redis.
  const secret = () => `p${randomBytes(24).toString('hex')}`;
  return {
    CANOPY_ADMIN_KEY: `cnpy_${randomBytes(32).toString('base64url')}`,
    // Redis's `default` user: nobody logs in with it (libs/contracts redisDefaultUserRules).
    CANOPY_REDIS_PASSWORD_DEFAULT: secret(),
    ...Object.fromEntries(
      SERVICES.flatMap((s) => [
        [`CANOPY_NATS_PASSWORD_${s}`, secret()],
        [`CANOPY_REDIS_PASSWORD_${s}`, secret()],
      ]),
    ),
  };
}

/** Adds the missing ones to `file` (mode 0600) and returns every value the file now holds. */
export function ensureComposeEnv(file = '.env') {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const present = Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
  const missing = Object.entries(freshComposeSecrets()).filter(([k]) => !present[k]);
  if (missing.length > 0) {
    const sep = text && !text.endsWith('\n') ? '\n' : '';
    writeFileSync(file, `${text}${sep}${missing.map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  }
  chmodSync(file, 0o600);
  return { ...present, ...Object.fromEntries(missing) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = ensureComposeEnv(process.argv[2] ?? '.env');
  console.log(`CANOPY_API_KEY=${env.CANOPY_ADMIN_KEY}`);
}
