import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { CommandSchema, ID_PATTERN, Subjects, shardOf, type Command, type CommandReplies } from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import type { TracedNats } from '@canopy/telemetry';
import type { Subscription } from '@nats-io/nats-core';
import { SpanAttrs, tracer } from '../telemetry';
import type { ReloadExecution } from '../reload/reload-execution.use-case';
import type { DebugCommands } from './debug-commands';
import type { ExecutionCommands } from './execution-commands';

/** Commands only runners send each other, on `canopy.cmd.<shard>.<execId>.peer`. */
const PEER_ONLY: ReadonlySet<Command['type']> = new Set(['load', 'unload']);

/**
 * Owner commands of one shard on `canopy.cmd.<shard>.<execId>` (and the peer commands `load` and
 * `unload` on `canopy.cmd.<shard>.<execId>.peer`): TracedNats validates each with
 * `CommandSchema` (a bad one is answered VALIDATION_FAILED) and answers a thrown AppError as its
 * error body; a reply is `CommandReplies[type]`. A `command <type>` span (under the message's)
 * parents the ticks the command causes.
 */
export function subscribeCommands(
  nats: TracedNats,
  commands: ExecutionCommands,
  debug: DebugCommands,
  shardCount: number,
  shard: number,
  reloads?: ReloadExecution,
): Subscription {
  return nats.subscribe<Command>(
    Subjects.commandsOfShard(shard),
    async (command, msg) => {
      // canopy.cmd.<shard>.<execId>, or canopy.cmd.<shard>.<execId>.peer (Subjects.peerCommand).
      const [, , , execId = '', peer, ...rest] = msg.subject.split('.');
      const isPeer = peer === 'peer' && rest.length === 0;
      if (!ID_PATTERN.test(execId) || shardOf(execId, shardCount) !== shard || (peer !== undefined && !isPeer)) {
        throw new AppError('EXECUTION_NOT_FOUND', `no execution ${execId} on shard ${shard}`);
      }
      // NATS permissions let only runners publish peer subjects: load and unload must come there.
      if (PEER_ONLY.has(command.type) !== isPeer) {
        throw new AppError(
          'VALIDATION_FAILED',
          isPeer ? `${command.type} is not a peer command` : `${command.type} is a peer command (Subjects.peerCommand)`,
        );
      }
      const span = tracer.startSpan(`command ${command.type}`, {
        attributes: { [SpanAttrs.execId]: execId, [SpanAttrs.shard]: shard },
      });
      try {
        return await context.with(trace.setSpan(context.active(), span), () => dispatch(commands, debug, execId, shard, command, reloads));
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
    { schema: CommandSchema },
  );
}

function dispatch(
  host: ExecutionCommands,
  debug: DebugCommands,
  id: string,
  shard: number,
  command: Command,
  reloads: ReloadExecution | undefined,
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
      return command.event === undefined ? host.trigger(id, shard, ctx) : host.trigger(id, shard, ctx, command.event);
    case 'step':
      return host.step(id, shard, command.mode);
    case 'debug':
      return debug.view(id, shard);
    case 'breakpoint.add':
      return debug.addBreakpoint(id, shard, command.breakpoint);
    case 'breakpoint.remove':
      return debug.removeBreakpoints(id, shard, command.nodeId);
    case 'watch.add':
      return debug.addWatch(id, shard, command.watch);
    case 'watch.remove':
      return debug.removeWatch(id, shard, command.watchId);
    case 'reload':
      if (!reloads) throw new AppError('INTERNAL', 'hot reload is not wired on this runner');
      return reloads.reload(id, shard, command.reload);
  }
}
