import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { CommandSchema, ID_PATTERN, shardOf, type Command, type CommandReplies } from '@canopy/contracts';
import { RunnerError } from '../errors';
import type { ExecutionCommands } from '../executions/execution-commands';
import type { Log } from '../log';
import { SpanAttrs, tracer } from '../telemetry';
import type { BusHandler } from './bus';
import { parseOrThrow } from './parse';

/**
 * Owner commands on `canopy.cmd.<shard>.<execId>`: validated with `CommandSchema`, answered with
 * `CommandReplies[type]` or an ErrorBody. A `command` span parents the ticks the command causes.
 */
export function commandHandler(
  commands: ExecutionCommands,
  shardCount: number,
  log: Log,
  storageDown: () => boolean = () => false,
): (shard: number) => BusHandler {
  return (shard) => async (payload, msg) => {
    const execId = msg.subject.split('.').slice(3).join('.');
    const command = parseOrThrow(CommandSchema, payload);
    if (!ID_PATTERN.test(execId) || shardOf(execId, shardCount) !== shard) {
      throw new RunnerError('EXECUTION_NOT_FOUND', `no execution ${execId} on shard ${shard}`);
    }
    const span = tracer.startSpan(`command ${command.type}`, {
      attributes: { [SpanAttrs.execId]: execId, [SpanAttrs.shard]: shard },
    });
    const ctx = trace.setSpan(context.active(), span);
    try {
      return await context.with(ctx, () => dispatch(commands, execId, shard, command));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      if (error instanceof RunnerError) throw error;
      if (storageDown()) throw new RunnerError('DEPENDENCY_UNAVAILABLE', 'storage unavailable; retry');
      log.error({ err: error, execId, command: command.type }, 'command failed');
      throw error;
    } finally {
      span.end();
    }
  };
}

function dispatch(
  host: ExecutionCommands,
  id: string,
  shard: number,
  command: Command,
): Promise<CommandReplies[Command['type']]> {
  const ctx = context.active();
  switch (command.type) {
    case 'tick':
      return host.tick(id, shard, command.count, ctx);
    case 'start':
      return host.start(id, shard, command);
    case 'pause':
      return host.pause(id, shard);
    case 'resume':
      return host.resume(id, shard);
    case 'stop':
      return host.stop(id, shard);
    case 'get':
    case 'load':
      return host.get(id, shard);
    case 'unload':
      return host.unload(id, shard);
    case 'trigger':
      return host.trigger(id, shard, ctx);
  }
}
