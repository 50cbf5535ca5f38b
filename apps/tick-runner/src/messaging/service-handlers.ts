import {
  BlackboardChangedSchema,
  CreateExecutionRequestSchema,
  ExecIdRequestSchema,
  IdSchema,
  ListExecutionsRequestSchema,
  Queues,
  RegisterTreeRequestSchema,
  Subjects,
  TreeRefSchema,
  type BlackboardChanged,
  type RunnersChanged,
} from '@canopy/contracts';
import { z } from 'zod';
import type { CreateExecution } from '../executions/create-execution.usecase';
import type { ExecutionHost } from '../executions/execution-host';
import type { ExecutionQueries } from '../executions/execution-queries.usecase';
import type { Log } from '../log';
import type { TreeRegistry } from '../registry/tree-registry.usecase';
import { RunnerError } from '../errors';
import type { Bus, BusHandler, BusSubscription } from './bus';
import { parseOrThrow } from './parse';

const RegisterNameSchema = z.object({ name: IdSchema.optional() });
const RunnersChangedSchema = z.object({ runner: z.string(), change: z.enum(['joined', 'left']) });

export interface ServiceHandlerDeps {
  bus: Bus;
  registry: TreeRegistry;
  createExecution: CreateExecution;
  queries: ExecutionQueries;
  log: Log;
  /** Whether Redis is unreachable right now: an uncoded failure then answers 503, not 500. */
  storageDown: () => boolean;
}

/** Coded errors pass; a failure while Redis is away becomes DEPENDENCY_UNAVAILABLE. */
function guarded(deps: ServiceHandlerDeps, handler: BusHandler): BusHandler {
  return async (payload, msg) => {
    try {
      return await handler(payload, msg);
    } catch (error) {
      if (error instanceof RunnerError || !deps.storageDown()) throw error;
      deps.log.warn({ err: error, subject: msg.subject }, 'request failed: Redis unavailable');
      throw new RunnerError('DEPENDENCY_UNAVAILABLE', 'storage unavailable; retry');
    }
  };
}

/**
 * `canopy.svc.trees.*` and `canopy.svc.exec.*`: served by any runner (queue group), each handler
 * validates and calls a use case. Replies are the contract's `ReplyOf<subject>`; errors ErrorBody.
 */
export function subscribeServiceHandlers(deps: ServiceHandlerDeps): BusSubscription[] {
  const { registry, createExecution, queries } = deps;
  const queue = { queue: Queues.runners };
  const bus = {
    subscribe: (subject: string, handler: BusHandler, opts?: { queue?: string }) =>
      deps.bus.subscribe(subject, guarded(deps, handler), opts),
  };
  return [
    bus.subscribe(
      Subjects.treesRegister,
      (payload) => {
        const req = parseOrThrow(RegisterTreeRequestSchema, payload);
        const { name } = parseOrThrow(RegisterNameSchema, payload);
        return registry.register({ ...req, name });
      },
      queue,
    ),
    bus.subscribe(Subjects.treesList, () => registry.list(), queue),
    bus.subscribe(
      Subjects.treesGet,
      (payload) => {
        const ref = parseOrThrow(TreeRefSchema, payload);
        return registry.get(ref.name, ref.version);
      },
      queue,
    ),
    bus.subscribe(
      Subjects.execCreate,
      (payload) => createExecution.execute(parseOrThrow(CreateExecutionRequestSchema, payload)),
      queue,
    ),
    bus.subscribe(Subjects.execList, (payload) => queries.list(parseOrThrow(ListExecutionsRequestSchema, payload ?? {})), queue),
    bus.subscribe(Subjects.execGet, (payload) => queries.get(parseOrThrow(ExecIdRequestSchema, payload).id), queue),
    bus.subscribe(Subjects.execDelete, (payload) => queries.delete(parseOrThrow(ExecIdRequestSchema, payload).id), queue),
  ];
}

/**
 * Broadcasts every runner hears (no queue group): outside blackboard changes (applied to the cache
 * when newer) and membership announcements (rebalance now rather than at the next renewal).
 */
export function subscribeBroadcasts(
  bus: Bus,
  host: ExecutionHost,
  onRunnersChanged: (change: RunnersChanged) => void,
  log: Log,
): BusSubscription[] {
  return [
    bus.subscribe(Subjects.bbChangedAll, (payload) => {
      const parsed = BlackboardChangedSchema.safeParse(payload);
      if (!parsed.success) {
        log.warn({ issues: parsed.error.issues }, 'ignored a malformed blackboard change');
        return;
      }
      host.applyOutsideChange(parsed.data as BlackboardChanged);
    }),
    bus.subscribe(Subjects.runnersChanged, (payload) => {
      const parsed = RunnersChangedSchema.safeParse(payload);
      if (parsed.success) onRunnersChanged(parsed.data);
    }),
  ];
}
