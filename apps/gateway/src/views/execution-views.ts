import { type Execution, Streams, Subjects, type TickRecordMessage } from '@canopy/contracts';
import type { BehaviorTree, Status } from '@canopy/engine';
import { AppError, LOGGER } from '@canopy/service-kit';
import { TracedNats } from '@canopy/telemetry';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { OwnerClient } from '../nats/owner-client';
import { ServiceClient } from '../nats/service-client';
import { TreeModels } from './tree-models';

/** What a client that starts watching an execution gets first. */
export interface ExecutionSnapshot {
  /** From the owning runner (`get` command). */
  execution: Execution;
  /** Every node's status after tick `statusesTick`; absent when they could not be rebuilt. */
  statuses?: Record<string, Status>;
  statusesTick?: number;
}

/** An execution's tree with the node state of its last published tick restored into it. */
export interface ExecutionTree {
  tree: BehaviorTree;
  /** The registered tree and version it was built from (the one that ticked last). */
  name: string;
  version: number;
  /** The tick whose state the tree holds (0: never ticked, all IDLE). */
  tick: number;
  /** False when the last tick's checkpoint does not fit the tree (statuses unknown). */
  restored: boolean;
}

/**
 * The current state of an execution as the gateway can see it. The owner's `get` reply carries no
 * node statuses, so they are rebuilt from the last tick record on JetStream (`CANOPY_TICKS`, last
 * message on `canopy.ticks.<id>`): its checkpoint, restored into the tree built from the stored
 * definition of the version that ticked, gives every node's status through the engine's own API.
 */
@Injectable()
export class ExecutionViews {
  private jsm?: Promise<JetStreamManager>;

  constructor(
    private readonly nats: TracedNats,
    private readonly owner: OwnerClient,
    private readonly services: ServiceClient,
    private readonly trees: TreeModels,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** For live streams: the owner's view of the execution plus node statuses when available. */
  async snapshot(id: string): Promise<ExecutionSnapshot> {
    const execution = await this.owner.send(id, { type: 'get' });
    try {
      const state = await this.tree(execution);
      if (state.restored) {
        return { execution, statuses: state.tree.statuses(), statusesTick: state.tick };
      }
    } catch (error) {
      this.logger.warn({ err: error, execId: id }, 'no node statuses for the snapshot');
    }
    return { execution };
  }

  /** For pictures: any runner answers (the owner when it holds the execution, else Redis). */
  execution(id: string): Promise<Execution> {
    return this.services.call(Subjects.execGet, { id });
  }

  /** The execution's tree at its last published tick. */
  async tree(execution: Execution): Promise<ExecutionTree> {
    const found = await this.lastTick(execution.id);
    // A record of an earlier execution with this id (deleted, then created again) is not its state.
    const last =
      found && (found.createdAt === undefined || found.createdAt === execution.createdAt)
        ? found
        : undefined;
    const record = await this.trees.record(
      last?.tree ?? execution.tree,
      last?.version ?? execution.version,
    );
    const built = {
      tree: await this.trees.build(record),
      name: record.name,
      version: record.version,
    };
    if (!last) return { ...built, tick: 0, restored: true };
    try {
      built.tree.restore(last.checkpoint);
      return { ...built, tick: last.tick, restored: true };
    } catch (error) {
      // A subtree registered again since the execution was created builds a different tree.
      this.logger.warn(
        { err: error, execId: execution.id },
        'last checkpoint does not fit the tree',
      );
      return { ...built, tick: last.tick, restored: false };
    }
  }

  /** The exec scope's values, for the blackboard table of a picture. */
  async blackboard(id: string): Promise<Record<string, unknown>> {
    const entries = await this.services.listScope(`exec:${id}`);
    return Object.fromEntries(entries.map((e) => [e.key, e.value]));
  }

  /**
   * The last tick record published for the execution; undefined when it never ticked (or its
   * records aged out). Other JetStream failures are thrown: "unknown" must not read as "IDLE".
   */
  async lastTick(id: string): Promise<TickRecordMessage | undefined> {
    try {
      const jsm = await this.manager();
      const stored = await jsm.streams.getMessage(Streams.ticks.name, {
        last_by_subj: Subjects.ticks(id),
      });
      return stored ? stored.json<TickRecordMessage>() : undefined;
    } catch (error) {
      // No stream yet: no runner ever started, so nothing ticked.
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
        return undefined;
      }
      throw new AppError(
        'DEPENDENCY_UNAVAILABLE',
        `cannot read the last tick record of ${id}: ${error instanceof Error ? error.message : String(error)}`,
        undefined,
        {},
        { cause: error },
      );
    }
  }

  private manager(): Promise<JetStreamManager> {
    if (!this.jsm) {
      this.jsm = this.nats.jetstream.jetstreamManager();
      this.jsm.catch(() => (this.jsm = undefined));
    }
    return this.jsm;
  }
}
