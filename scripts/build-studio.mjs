#!/usr/bin/env node
// Builds Studio (apps/studio, Vite) into dist/apps/studio, which the gateway serves at /studio.
// `npm start` and the Studio browser test call `ensureStudioBuilt()`: it builds only when the
// output is missing or older than a source file, so a fresh clone needs no extra step.
// `node scripts/build-studio.mjs [--force]` (`nx build studio` runs it with --force).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const STUDIO_SRC = join(root, 'apps', 'studio');
export const STUDIO_DIST = join(root, 'dist', 'apps', 'studio');

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), st.mtimeMs);
}

/**
 * True when dist/apps/studio is missing or older than Studio's sources, the SDK's (Studio bundles
 * @canopy/sdk/rest from libs/sdk/src) or the lock file.
 */
export function studioStale() {
  const index = join(STUDIO_DIST, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const inputs = [
    join(STUDIO_SRC, 'src'),
    join(STUDIO_SRC, 'index.html'),
    join(STUDIO_SRC, 'vite.config.mts'),
    join(root, 'libs', 'sdk', 'src'),
    join(root, 'libs', 'sdk', 'package.json'),
    join(root, 'package-lock.json'),
  ];
  return inputs.some((p) => existsSync(p) && newestMtime(p) > built);
}

/**
 * Builds into a fresh folder next to dist/apps/studio and swaps it in, so a gateway serving the
 * old build (or a second build running at the same time, as `npm start` and the browser test
 * may) never sees a half-written one.
 */
export function buildStudio() {
  const tmp = `${STUDIO_DIST}.build-${process.pid}-${Date.now()}`;
  return new Promise((done, fail) => {
    const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
    const args = [vite, 'build', '-c', join(STUDIO_SRC, 'vite.config.mts'), '--outDir', tmp, '--emptyOutDir', '--logLevel', 'warn'];
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      // NODE_ENV=production whatever the caller has: under Jest (NODE_ENV=test, the browser test
      // builds when stale) Vite bundled React's development build, 1.5x the size and several
      // times slower per render (docs/performance.md, "Studio").
      env: { ...process.env, NODE_ENV: 'production', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      if (code !== 0) {
        rmSync(tmp, { recursive: true, force: true });
        return fail(new Error(`studio build exited with ${code}`));
      }
      rmSync(STUDIO_DIST, { recursive: true, force: true });
      renameSync(tmp, STUDIO_DIST);
      done();
    });
  });
}

export async function ensureStudioBuilt(log = () => undefined) {
  if (!studioStale()) return false;
  log('building Studio (apps/studio -> dist/apps/studio)');
  await buildStudio();
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  (force ? buildStudio() : ensureStudioBuilt(console.log)).catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
