import type { z } from 'zod';

export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Every bad variable at once, so one failed boot tells the operator everything to fix. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment against a service's schema and returns the typed config, or throws a
 * ConfigError naming each bad variable. Empty values count as unset, so `PORT=` means the default.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  const input = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = issue.path.map(String).join('.') || '(env)';
      const missing = issue.path.length === 1 && input[String(issue.path[0])] === undefined;
      return { variable, message: missing ? 'is required' : issue.message };
    }),
  );
}

/**
 * `loadConfig` for main.ts: on a bad environment, prints the ConfigError message (every bad
 * variable) to stderr and exits with code 1 before anything connects.
 */
export function loadConfigOrExit<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
