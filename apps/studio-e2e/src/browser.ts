import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@canopy/testing';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium; .ci/run installs it): Playwright's download cannot work here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Studio's dist, built when missing or stale (what `npm start` does). */
export function ensureStudioBuilt(): void {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-studio.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('the Studio build failed');
}

/** STUDIO_SCREENSHOTS=1 writes docs/images/studio-*.png (off in CI, so the tree stays clean). */
export function screenshotPath(name: string): string | undefined {
  if (process.env.STUDIO_SCREENSHOTS !== '1') return undefined;
  const dir = join(REPO_ROOT, 'docs', 'images');
  mkdirSync(dir, { recursive: true });
  return join(dir, `studio-${name}.png`);
}
