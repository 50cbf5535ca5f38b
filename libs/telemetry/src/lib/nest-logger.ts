import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Level, Logger } from 'pino';

const NEST_TO_PINO: Record<LogLevel, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Sends Nest's own logs (and `new Logger(Context)` in services) through the service's pino logger,
 * with Nest's context as a `context` field. Create the app with `bufferLogs: true` and pass an
 * instance to `app.useLogger()` so boot-time lines get the same format.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /**
   * Nest passes `(message, context)` or, for errors, `(message, stack, context)`; the context is
   * the last string parameter and a stack is a string that looks like one.
   */
  private write(level: LogLevel, message: unknown, params: unknown[]): void {
    const fields: Record<string, unknown> = {};
    const strings = params.filter((p): p is string => typeof p === 'string');
    const stack = strings.find(isStack);
    const context = [...strings].reverse().find((s) => s !== stack);
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    const error = [message, ...params].find((p): p is Error => p instanceof Error);
    if (error) fields.err = error;

    const pinoLevel = NEST_TO_PINO[level];
    if (typeof message === 'string') this.logger[pinoLevel](fields, message);
    else if (message instanceof Error) this.logger[pinoLevel](fields, message.message);
    else this.logger[pinoLevel]({ ...fields, data: message });
  }
}

function isStack(value: string): boolean {
  return /\n\s+at /.test(value);
}
