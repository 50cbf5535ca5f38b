import {
  Subjects,
  tickMsgId,
  type BlackboardChanged,
  type EventEnvelope,
  type EventPayloads,
  type EventType,
  type TickRecordMessage,
} from '@canopy/contracts';
import type { Checkpoint, TickRecord } from '@canopy/engine';
import type { Bus } from '../messaging/bus';
import type { ExecutionRuntime } from './execution-runtime';

/** A committed write with the concrete scope and the version Redis gave it. */
export interface CommittedWrite {
  scope: string;
  key: string;
  value?: unknown;
  deleted: boolean;
  version: number;
}

/** Builds and sends what goes out after a commit: the tick record, derived events, shared-scope changes. */
export class Publisher {
  constructor(
    private readonly bus: Bus,
    private readonly runnerId: string,
  ) {}

  tickMessage(exec: ExecutionRuntime, record: TickRecord, epoch: number, checkpoint: Checkpoint): TickRecordMessage {
    return {
      ...record,
      execId: exec.id,
      tree: exec.meta.tree,
      version: exec.meta.version,
      runner: this.runnerId,
      epoch,
      checkpoint,
    };
  }

  /**
   * The tick record on JetStream, deduplicated by `<execId>:<tick>`; resolves on the stream's ack.
   * Publishing the same tick again (the outbox replay after a takeover) is dropped by the stream.
   */
  publishTick(message: TickRecordMessage): Promise<unknown> {
    return this.bus.jsPublish(Subjects.ticks(message.execId), message, {
      msgID: tickMsgId(message.execId, message.tick),
    });
  }

  /**
   * Derived events of one tick, in order: tick_start, node_update..., blackboard_update..., log...,
   * progress..., error..., tick_complete. Core publishes on one connection keep their order and the
   * CANOPY_EVENTS stream captures them without a per-event ack round trip.
   */
  publishTickEvents(exec: ExecutionRuntime, record: TickRecord, scopeOf: (scope: string) => string): void {
    exec.seq = 0;
    const tick = record.tick;
    this.event(exec, tick, 'tick_start', { startedAt: record.startedAt });
    for (const change of record.nodes) {
      this.event(exec, tick, 'node_update', { nodeId: change.id, from: change.from, to: change.to });
    }
    for (const write of record.writes) {
      const data: EventPayloads['blackboard_update'] = { key: write.key, scope: scopeOf(write.scope) };
      if ('new' in write) data.value = write.new;
      if ('old' in write) data.old = write.old;
      this.event(exec, tick, 'blackboard_update', data);
    }
    for (const log of record.logs) {
      this.event(exec, tick, 'log', { nodeId: log.nodeId, message: log.message, values: log.values });
    }
    for (const p of record.progress) {
      this.event(exec, tick, 'progress', { nodeId: p.nodeId, step: p.step, percent: p.percent });
    }
    for (const e of record.errors) {
      this.event(exec, tick, 'error', { nodeId: e.nodeId, code: e.code, message: e.message });
    }
    this.event(exec, tick, 'tick_complete', {
      status: record.status,
      durationMs: record.durationMs,
      changes: record.nodes.length,
      writes: record.writes.length,
    });
  }

  /** A lifecycle or other event outside the per-tick list; it follows the current tick's events. */
  event<T extends EventType>(exec: ExecutionRuntime, tick: number, type: T, data: EventPayloads[T]): void {
    this.eventOf(exec.id, tick, exec.seq++, type, data);
  }

  eventOf<T extends EventType>(execId: string, tick: number, seq: number, type: T, data: EventPayloads[T]): void {
    const envelope: EventEnvelope<T> = { execId, type, tick, seq, at: new Date().toISOString(), data };
    this.bus.publish(Subjects.event(execId, type), envelope);
  }

  /** Writes to shared scopes, so other runners (and watchers) refresh their caches. */
  publishSharedChanges(execId: string, writes: CommittedWrite[]): void {
    const at = new Date().toISOString();
    for (const write of writes) {
      if (write.scope.startsWith('exec:')) continue;
      const change: BlackboardChanged = {
        scope: write.scope,
        key: write.key,
        version: write.version,
        source: `exec:${execId}`,
        at,
      };
      if (write.deleted) change.deleted = true;
      else change.value = write.value;
      this.bus.publish(Subjects.bbChanged(write.scope), change);
    }
  }
}
