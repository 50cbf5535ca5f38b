import type { ReloadPolicy, ReloadReply, ReloadTreeRequest } from '@canopy/contracts';
import type { TreeDocument } from '@canopy/engine';
import { AppError } from '@canopy/service-kit';
import type { ExecutionCommands } from '../commands/execution-commands';
import { stoppedError, type Execution } from '../executions/execution';
import type { TreeDocuments } from '../registry/tree-documents';
import { mainTreeName, type TreeRegistry } from '../registry/tree-registry.use-case';
import type { TreeStore } from '../registry/tree-store';
import type { ExecutionHost } from '../ticking/execution-host';
import { applySwap, prepareSwap } from './tree-swap';

type Diff = Omit<ReloadReply, 'execution'>;

/**
 * Hot reload of an execution (the owner's `reload` command, and `follow`): the new tree is
 * resolved (a source or definition registered as a new version of the execution's tree), built
 * against the running one, and applied between slots through the fenced commit, which stores the
 * new version, the new tree's checkpoint, or the pending swap, before the reply.
 */
export class ReloadExecution {
  constructor(
    private readonly host: ExecutionHost,
    private readonly commands: ExecutionCommands,
    private readonly registry: TreeRegistry,
    private readonly trees: TreeStore,
    private readonly documents: TreeDocuments,
  ) {}

  async reload(id: string, shard: number, req: ReloadTreeRequest): Promise<ReloadReply> {
    const exec = await this.host.owned(id, shard);
    if (exec.meta.state === 'stopped') throw stoppedError(id);
    const { doc, version } = await this.target(exec, req);
    const pins = await this.documents.resolveLibrary(doc);
    const library = await this.documents.library(pins);
    const { policy, preserveBlackboard } = req;
    let diff: Diff | undefined;
    const execution = await this.commands.changeState(id, shard, (e) => {
      if (e.meta.state === 'stopped') throw stoppedError(id);
      const swap = prepareSwap(e.tree, doc, library, {
        policy,
        version,
        library: pins,
        preserveBlackboard,
      });
      const base = {
        fromVersion: e.meta.version,
        toVersion: version,
        policy,
        added: swap.reload.added,
        removed: swap.reload.removed,
        kept: swap.reload.kept,
      };
      if (!swap.reload.ready) {
        // The run goes on with the old tree; the first tick after it finished swaps (tick-slot).
        e.swap = swap;
        const ids = new Set([...swap.reload.added, ...swap.reload.kept]);
        const dropping = e.debug?.dbg.breakpoints().filter((bp) => !ids.has(bp.nodeId)) ?? [];
        diff = { ...base, pending: true, droppedBreakpoints: dropping };
        return { next: { ...e.meta, pending: { version, library: pins, preserveBlackboard } } };
      }
      const applied = applySwap(e, swap);
      diff = { ...base, pending: false, droppedBreakpoints: applied.droppedBreakpoints };
      return {
        next: { ...e.meta, ...applied.meta, status: e.tree.status },
        checkpoint: e.tree.checkpoint(),
        writes: applied.writes,
        debug: applied.debugChanged ? (e.debug?.toJson() ?? null) : undefined,
        event: { type: 'tree_reloaded', data: applied.event },
      };
    });
    return { execution, ...(diff as Diff) };
  }

  /**
   * `follow`: a new version of the tree was registered; an execution that follows it moves there
   * with its policy (nothing to do if it is there already, or on its way).
   */
  async follow(id: string, shard: number, version: number): Promise<ReloadReply | undefined> {
    const exec = this.host.execution(id);
    const meta = exec?.meta;
    if (!meta?.follow || meta.state === 'stopped') return undefined;
    if (meta.version >= version || (meta.pending?.version ?? 0) >= version) return undefined;
    const policy: ReloadPolicy = meta.followPolicy ?? 'let-finish-then-swap';
    return this.reload(id, shard, { version, policy, preserveBlackboard: true });
  }

  /**
   * The document and version to move to. A source or definition must compile (COMPILE_FAILED at
   * `file:line:column`, nothing stored) and define the execution's tree as its main tree
   * (TREE_MISMATCH); it becomes a new version unless it is the latest one already (so a retried
   * request does not register it twice).
   */
  private async target(
    exec: Execution,
    req: ReloadTreeRequest,
  ): Promise<{ doc: TreeDocument; version: number }> {
    const name = exec.meta.tree;
    if (req.version !== undefined)
      return { doc: await this.documents.get(name, req.version), version: req.version };
    const file = req.file ?? (req.source !== undefined ? `${name}.lisp` : `${name}.json`);
    const doc = await this.registry.compile(
      req.source !== undefined
        ? { source: req.source, file }
        : { definition: req.definition, file },
    );
    const main = mainTreeName(doc);
    if (main !== name) {
      throw new AppError(
        'TREE_MISMATCH',
        `the document's main tree is "${main}"; execution ${exec.id} runs tree "${name}"`,
        undefined,
        {
          fields: [
            {
              field: req.source !== undefined ? 'source' : 'definition',
              message: `must define tree "${name}" as its main tree`,
            },
          ],
        },
      );
    }
    const latest = await this.trees.get(name);
    if (latest !== undefined && JSON.stringify(latest.definition) === JSON.stringify(doc)) {
      return { doc, version: latest.version };
    }
    return { doc, version: (await this.registry.add(doc)).version };
  }
}
