import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

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

/** Finds the executable (explicit path, env override, PATH, sbin dirs) or explains how to get it. */
export async function resolveBinary(spec: BinarySpec, explicit?: string): Promise<string> {
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
  throw new Error(await missingBinaryMessage(spec));
}

async function missingBinaryMessage(spec: BinarySpec): Promise<string> {
  const install = `install it (apt-get install ${spec.aptPackage}) or set ${spec.envVar} to its path`;
  if (await dockerAnswers()) {
    // A container fallback would need testcontainers, which the workspace does not ship.
    return (
      `${spec.name} was not found on PATH. A Docker engine is available, but the testcontainers ` +
      `fallback is not implemented (testcontainers is not installed); ${install}.`
    );
  }
  return `${spec.name} was not found on PATH and no Docker engine answered; ${install}.`;
}

function dockerAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 3000 }, (error) =>
      resolve(error === null),
    );
  });
}
