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
import type { MsgHdrs } from '@nats-io/nats-core';
import type { Context } from '@opentelemetry/api';
import type { Wire } from '../messaging/wire';
import type { ExecutionRuntime } from './execution-runtime';

/** A tick record message as UTF-8 JSON, and its checkpoint field's JSON (a view into the same bytes). */
export interface EncodedTick {
  record: Buffer;
  checkpoint: Buffer;
}

/** A committed write with the concrete scope and the version Redis gave it. */
export interface CommittedWrite {
  scope: string;
  key: string;
  value?: unknown;
  deleted: boolean;
  version: number;
}

/**
 * Builds and sends what goes out after a commit: the tick record, derived events, shared-scope
 * changes. Every message carries the trace context of the span that sends it (the tick's
 * `publish` span, or the command's), in its headers.
 */
export class Publisher {
  constructor(
    private readonly wire: Wire,
    private readonly runnerId: string,
  ) {}

  /**
   * The `TickRecordMessage` as UTF-8 JSON, serialised and encoded once per tick: the commit stores
   * it as the outbox and the publish sends the same bytes. The checkpoint (the last field) is a
   * view into them, which the commit stores as the checkpoint: no second copy or encoding.
   */
  encodeTick(exec: ExecutionRuntime, record: TickRecord, epoch: number, checkpoint: Checkpoint): EncodedTick {
    const head = JSON.stringify({
      ...record,
      execId: exec.id,
      tree: exec.meta.tree,
      version: exec.meta.version,
      runner: this.runnerId,
      epoch,
    } satisfies Omit<TickRecordMessage, 'checkpoint'>);
    const checkpointJson = JSON.stringify(checkpoint);
    const bytes = Buffer.from(`${head.slice(0, -1)},"checkpoint":${checkpointJson}}`);
    const end = bytes.length - 1;
    return { record: bytes, checkpoint: bytes.subarray(end - Buffer.byteLength(checkpointJson), end) };
  }

  /**
   * The tick record on JetStream, deduplicated by `<execId>:<tick>`; resolves on the stream's ack.
   * Publishing the same tick again (the outbox replay after a takeover) is dropped by the stream.
   */
  publishTick(execId: string, tick: number, data: string | Uint8Array, ctx?: Context): Promise<unknown> {
    return this.wire.publishAcked(Subjects.ticks(execId), data, tickMsgId(execId, tick), ctx);
  }

  /** A stored record again (the outbox replay). */
  republishTick(message: TickRecordMessage): Promise<unknown> {
    return this.publishTick(message.execId, message.tick, JSON.stringify(message));
  }

  /** Trace headers for the messages of one tick (from `ctx`, default the active context). */
  headers(ctx?: Context): MsgHdrs {
    return this.wire.traceHeaders(ctx);
  }

  /**
   * Derived events of one tick, in order: tick_start, node_update..., blackboard_update..., log...,
   * progress..., error..., tick_complete. Core publishes on one connection keep their order and the
   * CANOPY_EVENTS stream captures them without a per-event ack round trip.
   */
  publishTickEvents(
    exec: ExecutionRuntime,
    record: TickRecord,
    scopeOf: (scope: string) => string,
    headers: MsgHdrs,
    at = new Date().toISOString(),
  ): void {
    exec.seq = 0;
    const tick = record.tick;
    const id = exec.id;
    this.send(id, tick, exec.seq++, 'tick_start', { startedAt: record.startedAt }, headers, at);
    for (const change of record.nodes) {
      this.send(id, tick, exec.seq++, 'node_update', { nodeId: change.id, from: change.from, to: change.to }, headers, at);
    }
    for (const write of record.writes) {
      const data: EventPayloads['blackboard_update'] = { key: write.key, scope: scopeOf(write.scope) };
      if ('new' in write) data.value = write.new;
      if ('old' in write) data.old = write.old;
      this.send(id, tick, exec.seq++, 'blackboard_update', data, headers, at);
    }
    for (const log of record.logs) {
      this.send(id, tick, exec.seq++, 'log', { nodeId: log.nodeId, message: log.message, values: log.values }, headers, at);
    }
    for (const p of record.progress) {
      this.send(id, tick, exec.seq++, 'progress', { nodeId: p.nodeId, step: p.step, percent: p.percent }, headers, at);
    }
    for (const e of record.errors) {
      this.send(id, tick, exec.seq++, 'error', { nodeId: e.nodeId, code: e.code, message: e.message }, headers, at);
    }
    const complete = { status: record.status, durationMs: record.durationMs, changes: record.nodes.length, writes: record.writes.length };
    this.send(id, tick, exec.seq++, 'tick_complete', complete, headers, at);
  }

  /** A lifecycle or other event outside the per-tick list; it follows the current tick's events. */
  event<T extends EventType>(exec: ExecutionRuntime, tick: number, type: T, data: EventPayloads[T], headers?: MsgHdrs): void {
    this.eventOf(exec.id, tick, exec.seq++, type, data, headers);
  }

  eventOf<T extends EventType>(execId: string, tick: number, seq: number, type: T, data: EventPayloads[T], headers?: MsgHdrs): void {
    this.send(execId, tick, seq, type, data, headers ?? this.wire.traceHeaders(), new Date().toISOString());
  }

  /** Writes to shared scopes, so other runners (and watchers) refresh their caches. */
  publishSharedChanges(execId: string, writes: CommittedWrite[], headers?: MsgHdrs): void {
    let at: string | undefined;
    for (const write of writes) {
      if (write.scope.startsWith('exec:')) continue;
      at ??= new Date().toISOString();
      const change: BlackboardChanged = {
        scope: write.scope,
        key: write.key,
        version: write.version,
        source: `exec:${execId}`,
        at,
      };
      if (write.deleted) change.deleted = true;
      else change.value = write.value;
      this.wire.publish(Subjects.bbChanged(write.scope), JSON.stringify(change), headers ?? this.wire.traceHeaders());
    }
  }

  private send<T extends EventType>(
    execId: string,
    tick: number,
    seq: number,
    type: T,
    data: EventPayloads[T],
    headers: MsgHdrs,
    at: string,
  ): void {
    const envelope: EventEnvelope<T> = { execId, type, tick, seq, at, data };
    this.wire.publish(Subjects.event(execId, type), JSON.stringify(envelope), headers);
  }
}
