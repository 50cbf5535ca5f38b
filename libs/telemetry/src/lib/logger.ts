import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Defaults to npm_package_version, then 0.0.0. */
  version?: string;
  /** Defaults to LOG_LEVEL, then info. */
  level?: Level | 'silent';
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Extra paths to redact, in pino's path syntax. */
  redact?: string[];
}

// Values that must never reach a log line, at the top level or one object deep.
const SECRET_KEYS = [
  'password',
  'passwd',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'api_key',
  'authorization',
  'cookie',
  'credentials',
];
const SECRET_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

/**
 * The one pino setup: JSON lines with `service` and `version`, the active span's `trace_id` and
 * `span_id` on every line, secrets redacted, level names instead of numbers.
 */
export function createLogger(service: string, opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? levelFromEnv(),
      base: { service, version: opts.version ?? process.env.npm_package_version ?? '0.0.0' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...SECRET_PATHS, ...(opts.redact ?? [])], censor: '[REDACTED]' },
      mixin: traceFields,
    },
    // Synchronous writes: a crash or a signal-driven exit loses no lines. Fine at our volume.
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

const LEVELS: ReadonlyArray<string> = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

function levelFromEnv(): Level | 'silent' {
  const level = process.env.LOG_LEVEL || 'info';
  if (!LEVELS.includes(level)) throw new Error(`LOG_LEVEL: must be one of ${LEVELS.join(', ')}`);
  return level as Level | 'silent';
}

function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
