import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { containersForced } from './containers';

export interface BinarySpec {
  /** Executable name, e.g. `nats-server`. */
  name: string;
  /** Environment variable that may point at the executable. */
  envVar: string;
  /** The apt package that ships it, for the error message. */
  aptPackage: string;
}

// Debian installs nats-server to /usr/sbin, which is not on PATH for every user.
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Run the server in a container (libs/testing containers.ts) instead of from a binary. */
export const CONTAINER = Symbol('container');

/**
 * Finds the executable (explicit path, env override, PATH, sbin dirs); without one, CONTAINER
 * when a Docker engine answers (or always with CANOPY_TEST_INFRA=containers); otherwise explains
 * how to get it.
 */
export async function resolveBinary(
  spec: BinarySpec,
  explicit?: string,
): Promise<string | typeof CONTAINER> {
  if (containersForced() && !explicit) return CONTAINER;
  const override = explicit ?? process.env[spec.envVar];
  if (override) {
    if (isExecutable(override)) return override;
    throw new Error(
      `${spec.name}: ${override} (from ${explicit ? 'options' : spec.envVar}) is not executable`,
    );
  }
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, spec.name);
    if (isExecutable(candidate)) return candidate;
  }
  if (await dockerAnswers()) return CONTAINER;
  const install = `install it (apt-get install ${spec.aptPackage}) or set ${spec.envVar} to its path`;
  throw new Error(
    `${spec.name} was not found on PATH and no Docker engine answered (for the container ` +
      `fallback, see libs/testing/README.md); ${install}.`,
  );
}

function dockerAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    // `env` given explicitly: the PATH this module sees (Jest gives test files their own copy).
    execFile(
      'docker',
      ['version', '--format', '{{.Server.Version}}'],
      { timeout: 3000, env: process.env },
      (error) => resolve(error === null),
    );
  });
}
