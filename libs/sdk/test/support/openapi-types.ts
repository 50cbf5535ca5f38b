import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@canopy/testing';

/** The committed types the REST client is built on. */
export const GENERATED_TYPES = join(REPO_ROOT, 'libs/sdk/src/generated/openapi.ts');

const CLI = join(REPO_ROOT, 'node_modules/openapi-typescript/bin/cli.js');

/**
 * openapi-typescript's output for the document at `url` (a gateway's `/openapi.json`), in memory:
 * the generator's own CLI, so the file and the check can never use different settings.
 */
export async function typesFromLiveOpenApi(url: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, url], {
    maxBuffer: 32 * 1024 * 1024,
  });
  return stdout;
}

export function committedTypes(): string {
  return readFileSync(GENERATED_TYPES, 'utf8');
}
