#!/usr/bin/env node
// Builds Studio (apps/studio, Vite) into dist/apps/studio, which the gateway serves at /studio.
// `npm start` and the Studio browser test call `ensureStudioBuilt()`: it builds only when the
// output is missing or older than a source file, so a fresh clone needs no extra step.
// `node scripts/build-studio.mjs [--force]` (`nx build studio` runs it with --force).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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

/** True when dist/apps/studio is missing or older than Studio's sources or the lock file. */
export function studioStale() {
  const index = join(STUDIO_DIST, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const inputs = [join(STUDIO_SRC, 'src'), join(STUDIO_SRC, 'index.html'), join(STUDIO_SRC, 'vite.config.mts'), join(root, 'package-lock.json')];
  return inputs.some((p) => existsSync(p) && newestMtime(p) > built);
}

export function buildStudio() {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '-c', join(STUDIO_SRC, 'vite.config.mts'), '--logLevel', 'warn'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
    });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`studio build exited with ${code}`))));
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
