import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `canopy-${prefix}-`));
}
