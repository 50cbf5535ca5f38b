import { Subjects, shardOf, type Execution, type ExecutionState } from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import { NatsRequestError, type TracedNats } from '@canopy/telemetry';
import type { Publisher } from '../delivery/publisher';
import { toExecution } from '../executions/execution-meta';
import type { ExecutionStore } from '../executions/execution-store';
import type { TeamQuota } from '../executions/team-quota';
import type { Leases } from '../ownership/leases';
import { OWNER_TIMEOUT_MS } from './create-execution.use-case';

export interface ListExecutionsQuery {
  tree?: string;
  state?: ExecutionState;
  limit: number;
}

/** Reading and deleting executions (any runner): the owner when reachable, Redis otherwise. */
export class ExecutionQueries {
  constructor(
    private readonly store: ExecutionStore,
    private readonly leases: Leases,
    private readonly nats: TracedNats,
    private readonly publisher: Publisher,
    private readonly shardCount: number,
    private readonly quota: TeamQuota,
  ) {}

  /** From Redis (the committed state), with each execution's current owner. */
  async list(query: ListExecutionsQuery): Promise<Execution[]> {
    const ids = await this.store.listIds(100_000);
    const out: Execution[] = [];
    for (let i = 0; i < ids.length && out.length < query.limit; i += 500) {
      const metas = (await this.store.readMetas(ids.slice(i, i + 500))).filter(
        (m) => (!query.tree || m.tree === query.tree) && (!query.state || m.state === query.state),
      );
      const owners = await this.leases.holders(metas.map((m) => shardOf(m.id, this.shardCount)));
      for (const meta of metas) {
        if (out.length >= query.limit) break;
        out.push(toExecution(meta, owners.get(shardOf(meta.id, this.shardCount))));
      }
    }
    return out;
  }

  async get(id: string): Promise<Execution> {
    const shard = shardOf(id, this.shardCount);
    try {
      return await this.nats.request<Execution>(Subjects.command(shard, id), { type: 'get' }, { timeoutMs: OWNER_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof NatsRequestError && error.failure === 'remote' && error.code === 'EXECUTION_NOT_FOUND') throw new AppError('EXECUTION_NOT_FOUND', `no execution ${id}`);
      // Owner unreachable: answer from the last commit.
    }
    const meta = await this.store.readMeta(id);
    if (!meta) throw new AppError('EXECUTION_NOT_FOUND', `no execution ${id}`);
    const holder = await this.leases.holder(shard);
    return toExecution(meta, holder?.owner);
  }

  /**
   * The owner unloads it (halting running actions), then every key goes, and its semaphore slots
   * are freed even when no owner was there to halt it (announced, so caches let them go too).
   */
  async delete(id: string): Promise<{ deleted: true }> {
    const meta = await this.store.readMeta(id);
    if (!meta) throw new AppError('EXECUTION_NOT_FOUND', `no execution ${id}`);
    const shard = shardOf(id, this.shardCount);
    try {
      await this.nats.request(Subjects.peerCommand(shard, id), { type: 'unload' }, { timeoutMs: OWNER_TIMEOUT_MS });
    } catch {
      // No owner: nothing is loaded; the keys go below and a later load finds nothing.
    }
    const { released, deleted } = await this.store.delete(id, shard, meta.team);
    // Of concurrent deletes, only the one whose delete removed the meta deleted it.
    if (!deleted) throw new AppError('EXECUTION_NOT_FOUND', `no execution ${id}`);
    // After its keys: a place freed first could let a create past the limit while it still exists.
    if (meta.team !== undefined) await this.quota.release(meta.team, id);
    this.publisher.sharedChanges(id, released);
    return { deleted: true };
  }
}
