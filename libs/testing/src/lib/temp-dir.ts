import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `canopy-${prefix}-`));
}

/** A temp dir for service logs; `remove()` keeps it when CANOPY_KEEP_LOGS is set (to read after a failure). */
export function makeLogDir(prefix: string): { dir: string; remove(): void } {
  const dir = makeTempDir(prefix);
  return {
    dir,
    remove: () => {
      if (!process.env.CANOPY_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
    },
  };
}
