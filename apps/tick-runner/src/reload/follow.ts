import { Subjects, TreeRegisteredSchema, shardOf } from '@canopy/contracts';
import type { TracedNats } from '@canopy/telemetry';
import type { Subscription } from '@nats-io/nats-core';
import type { Log } from '../log';
import type { ExecutionHost } from '../ticking/execution-host';
import type { ReloadExecution } from './reload-execution.use-case';

/** Announces a registered version, so every runner moves the executions that follow the tree. */
export function announceRegistered(nats: TracedNats, name: string, version: number): void {
  nats.publish(Subjects.treesRegistered, { name, version });
}

/**
 * Every runner listens (no queue group): each moves the `follow` executions it holds. Core NATS: an
 * announcement missed while no runner held an execution is not replayed (docs/reload.md).
 */
export function subscribeFollow(
  nats: TracedNats,
  host: ExecutionHost,
  reloads: ReloadExecution,
  shardCount: number,
  log: Log,
): Subscription {
  return nats.subscribe(Subjects.treesRegistered, (payload) => {
    const parsed = TreeRegisteredSchema.safeParse(payload);
    if (!parsed.success) return;
    const { name, version } = parsed.data;
    for (const id of host.loadedIds()) {
      const exec = host.execution(id);
      if (!exec?.meta.follow || exec.meta.tree !== name) continue;
      reloads
        .follow(id, shardOf(id, shardCount), version)
        .catch((error: unknown) =>
          log.warn({ err: error, execId: id, version }, 'follow: reload failed'),
        );
    }
  });
}
