import { randomUUID } from 'node:crypto';
import {
  BlackboardKeySchema,
  Subjects,
  shardOf,
  type CreateExecutionRequest,
  type Execution,
} from '@canopy/contracts';
import { buildTree, type Checkpoint, type TreeDocument, type TreeLimits } from '@canopy/engine';
import { AppError } from '@canopy/service-kit';
import type { TracedNats } from '@canopy/telemetry';
import type { Publisher } from '../delivery/publisher';
import { toExecution, type ExecMeta } from '../executions/execution-meta';
import type { ExecutionStore } from '../executions/execution-store';
import type { TeamQuota } from '../executions/team-quota';
import type { TreeDocuments } from '../registry/tree-documents';
import type { TreeStore } from '../registry/tree-store';

/** How long a use case waits for the owner before answering from Redis. */
export const OWNER_TIMEOUT_MS = 2000;

/**
 * Creates an execution (any runner): everything needed to run it goes to Redis first, then the
 * owner of its shard is asked to load it. With no owner reachable yet the execution still exists;
 * whichever runner takes the shard loads it.
 */
export class CreateExecution {
  constructor(
    private readonly trees: TreeStore,
    private readonly documents: TreeDocuments,
    private readonly store: ExecutionStore,
    private readonly nats: TracedNats,
    private readonly publisher: Publisher,
    private readonly shardCount: number,
    private readonly quota: TeamQuota,
    private readonly treeLimits: TreeLimits,
  ) {}

  async execute(req: CreateExecutionRequest): Promise<Execution> {
    const badKeys = Object.keys(req.blackboard ?? {}).filter((k) => !BlackboardKeySchema.safeParse(k).success);
    if (badKeys.length > 0) {
      throw new AppError('VALIDATION_FAILED', `invalid blackboard keys: ${badKeys.join(', ')}`, undefined, {
        fields: badKeys.map((k) => ({ field: `blackboard.${k}`, message: 'must not contain whitespace, * or >' })),
      });
    }
    const record = await this.trees.get(req.tree, req.version);
    if (!record) {
      throw new AppError(
        'TREE_NOT_FOUND',
        req.version === undefined ? `no tree "${req.tree}"` : `no version ${req.version} of tree "${req.tree}"`,
      );
    }
    const library = await this.documents.resolveLibrary(record.definition as unknown as TreeDocument);
    if (req.fork) await this.checkFork(req.fork, record.definition as unknown as TreeDocument, library);
    const id = req.id ?? randomUUID();
    const meta: ExecMeta = {
      id,
      tree: record.name,
      version: record.version,
      team: req.team,
      mode: req.mode,
      intervalMs: req.intervalMs,
      maxTicks: req.maxTicks,
      watchdog: req.watchdog,
      tickBudgetMs: req.tickBudgetMs,
      state: req.mode === 'manual' ? 'created' : 'running',
      // A fork continues after the tick it was taken from (its checkpoint sets the engine's count).
      status: req.fork?.status ?? 'IDLE',
      tick: req.fork?.fromTick ?? 0,
      createdAt: new Date().toISOString(),
      runStartTick: req.fork?.fromTick ?? 0,
      library,
      follow: req.follow || undefined,
      followPolicy: req.follow ? req.followPolicy : undefined,
      llm: req.llm,
      llmBudget: req.llmBudget,
    };
    const shard = shardOf(id, this.shardCount);
    const place = req.team === undefined ? 'held' : await this.quota.reserve(req.team, id);
    if (place === 'full') {
      throw new AppError(
        'TEAM_EXECUTION_LIMIT',
        `team "${req.team}" has ${this.quota.max} executions (TEAM_MAX_EXECUTIONS): delete one first`,
        { team: req.team, max: this.quota.max },
      );
    }
    let created = false;
    try {
      created = await this.store.create(meta, shard, req.blackboard, req.fork?.checkpoint);
    } finally {
      // A place taken for this create and not used goes back (one held by an existing id stays).
      if (!created && place === 'taken' && req.team !== undefined) await this.quota.release(req.team, id);
    }
    if (!created) throw new AppError('EXECUTION_EXISTS', `execution ${id} exists`);
    if (meta.state === 'running') this.publisher.event(id, 0, 0, 'execution_started', { mode: meta.mode });
    try {
      return await this.nats.request<Execution>(Subjects.peerCommand(shard, id), { type: 'load' }, { timeoutMs: OWNER_TIMEOUT_MS });
    } catch {
      // No owner right now (starting up, handing over): it loads the execution when it takes the shard.
    }
    return toExecution(meta);
  }

  /** A fork's checkpoint must restore into the tree as this runner builds it (same fingerprint). */
  private async checkFork(
    fork: NonNullable<CreateExecutionRequest['fork']>,
    doc: TreeDocument,
    pins: Record<string, number>,
  ): Promise<void> {
    try {
      const library = await this.documents.library(pins);
      const tree = buildTree(doc, { library, limits: this.treeLimits });
      tree.restore(fork.checkpoint as Checkpoint);
    } catch (error) {
      throw new AppError('VALIDATION_FAILED', `fork checkpoint does not fit the tree: ${(error as Error).message}`, undefined, {
        fields: [{ field: 'fork.checkpoint', message: (error as Error).message }],
      });
    }
  }
}
