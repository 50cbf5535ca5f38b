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
import type { TracedNats } from '@canopy/telemetry';
import type { Subscription } from '@nats-io/nats-core';
import { z } from 'zod';
import type { Log } from '../log';
import type { TreeRegistry } from '../registry/tree-registry.use-case';
import type { ExecutionHost } from '../ticking/execution-host';
import type { CreateExecution } from './create-execution.use-case';
import type { ExecutionQueries } from './execution-queries.use-case';

const RegisterSchema = RegisterTreeRequestSchema.and(z.object({ name: IdSchema.optional() }));
const RunnersChangedSchema = z.object({ runner: z.string(), change: z.enum(['joined', 'left']) });

export interface ServiceHandlerDeps {
  nats: TracedNats;
  registry: TreeRegistry;
  createExecution: CreateExecution;
  queries: ExecutionQueries;
}

/**
 * `canopy.svc.trees.*` and `canopy.svc.exec.*`: served by any runner (queue group). TracedNats
 * validates each request against its schema and answers thrown AppErrors as error bodies; each
 * handler calls one use case.
 */
export function subscribeServiceHandlers({ nats, registry, createExecution, queries }: ServiceHandlerDeps): Subscription[] {
  const queue = Queues.runners;
  return [
    nats.subscribe(Subjects.treesRegister, (req) => registry.register(req), { queue, schema: RegisterSchema }),
    nats.subscribe(Subjects.treesList, () => registry.list(), { queue }),
    nats.subscribe(Subjects.treesGet, (ref) => registry.get(ref.name, ref.version), { queue, schema: TreeRefSchema }),
    nats.subscribe(Subjects.execCreate, (req) => createExecution.execute(req), { queue, schema: CreateExecutionRequestSchema }),
    nats.subscribe(Subjects.execList, (query) => queries.list(query), {
      queue,
      schema: ListExecutionsRequestSchema.optional().transform((q) => q ?? ListExecutionsRequestSchema.parse({})),
    }),
    nats.subscribe(Subjects.execGet, (req) => queries.get(req.id), { queue, schema: ExecIdRequestSchema }),
    nats.subscribe(Subjects.execDelete, (req) => queries.delete(req.id), { queue, schema: ExecIdRequestSchema }),
  ];
}

/**
 * Broadcasts every runner hears (no queue group): outside blackboard changes (applied to the cache
 * when newer) and membership announcements (rebalance now rather than at the next renewal).
 */
export function subscribeBroadcasts(
  nats: TracedNats,
  host: ExecutionHost,
  onRunnersChanged: (change: RunnersChanged) => void,
  log: Log,
): Subscription[] {
  return [
    nats.subscribe(Subjects.bbChangedAll, (payload) => {
      const parsed = BlackboardChangedSchema.safeParse(payload);
      if (!parsed.success) {
        log.warn({ issues: parsed.error.issues }, 'ignored a malformed blackboard change');
        return;
      }
      host.applyOutsideChange(parsed.data as BlackboardChanged);
    }),
    nats.subscribe(Subjects.runnersChanged, (payload) => {
      const parsed = RunnersChangedSchema.safeParse(payload);
      if (parsed.success) onRunnersChanged(parsed.data);
    }),
  ];
}
