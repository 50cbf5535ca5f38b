import {
  Subjects,
  type BlackboardChanged,
  type EventPayloads,
  type EventType,
  type TickRecordMessage,
} from '@canopy/contracts';
import type { Checkpoint, DebugHit, TickRecord } from '@canopy/engine';
import type { TracedNats } from '@canopy/telemetry';
import type { MsgHdrs } from '@nats-io/nats-core';
import type { Context } from '@opentelemetry/api';
import type { ExecMeta } from '../executions/execution-meta';

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const HEADER_ROOM_BYTES = 4096;

/**
 * A tick record message serialised once: its JSON text for Redis (the outbox entry; the commit
 * script stores the checkpoint, the last field, from the same text) and its UTF-8 bytes for NATS.
 * Redis gets text because ioredis writes a command of strings as one string, while a single Buffer
 * argument makes it convert every argument to a Buffer of its own.
 */
export interface EncodedTick {
  json: string;
  bytes: Buffer;
  /** Where the checkpoint's JSON starts in `bytes`; it ends before the last byte. */
  checkpointFrom: number;
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
 * Builds and sends what goes out besides the tick record itself (which the outbox delivers):
 * derived events and shared-scope changes. Every message carries the trace context of the span
 * that sends it (the tick's `publish` span, or the command's) in its headers; messages of one tick
 * share those headers instead of having a span each.
 */
export class Publisher {
  constructor(
    private readonly nats: TracedNats,
    private readonly runnerId: string,
  ) {}

  /**
   * The `TickRecordMessage`, serialised and encoded once per tick: the commit stores the text in
   * the outbox and the outbox sends the bytes. The checkpoint (the last field) is a slice of the
   * text, which the commit stores as the checkpoint: no second serialisation.
   */
  encodeTick(
    meta: ExecMeta,
    record: TickRecord,
    epoch: number,
    checkpoint: Checkpoint,
    initialBlackboard?: Record<string, unknown>,
  ): EncodedTick {
    const head = JSON.stringify({
      ...record,
      execId: meta.id,
      tree: meta.tree,
      version: meta.version,
      runner: this.runnerId,
      epoch,
      createdAt: meta.createdAt,
      ...(initialBlackboard === undefined ? {} : { initialBlackboard }),
    } satisfies Omit<TickRecordMessage, 'checkpoint'>);
    const checkpointJson = JSON.stringify(checkpoint);
    const json = `${head.slice(0, -1)},"checkpoint":${checkpointJson}}`;
    const bytes = Buffer.from(json);
    return { json, bytes, checkpointFrom: bytes.length - 1 - Buffer.byteLength(checkpointJson) };
  }

  /**
   * The largest record the stream can take: the server's max_payload (1 MB by default), less room
   * for the headers the record travels with.
   */
  recordMaxBytes(): number {
    return (this.nats.connection.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) - HEADER_ROOM_BYTES;
  }

  /** Trace headers for the messages of one tick or command (default: the active context). */
  headers(ctx?: Context): MsgHdrs {
    return this.nats.traceHeaders(ctx);
  }

  /** `headers` for a tick's or command's events: shared by all of them, encoded once. */
  eventHeaders(ctx?: Context): MsgHdrs {
    return this.nats.sealedTraceHeaders(ctx);
  }

  /**
   * Derived events of one tick, in order, numbered from `seq`: tick_start, node_update...,
   * blackboard_update..., llm_chunk..., log..., progress..., error..., budget_exceeded...,
   * node_stuck..., tick_overrun, tick_complete. Core publishes on one
   * connection keep their order, and the CANOPY_EVENTS stream captures them without a per-event
   * ack. Returns the next event number.
   */
  tickEvents(
    execId: string,
    record: TickRecord,
    scopeOf: (scope: string) => string,
    headers: MsgHdrs,
    seq = 0,
    at = new Date().toISOString(),
  ): number {
    const tick = record.tick;
    this.send(execId, tick, seq++, 'tick_start', { startedAt: record.startedAt }, headers, at);
    for (const change of record.nodes) {
      this.send(execId, tick, seq++, 'node_update', { nodeId: change.id, from: change.from, to: change.to }, headers, at);
    }
    for (const write of record.writes) {
      const data: EventPayloads['blackboard_update'] = { key: write.key, scope: scopeOf(write.scope) };
      if ('new' in write) data.value = write.new;
      if ('old' in write) data.old = write.old;
      this.send(execId, tick, seq++, 'blackboard_update', data, headers, at);
    }
    for (const chunk of record.chunks ?? []) {
      this.send(execId, tick, seq++, 'llm_chunk', { nodeId: chunk.nodeId, text: chunk.text }, headers, at);
    }
    for (const log of record.logs) {
      this.send(execId, tick, seq++, 'log', { nodeId: log.nodeId, message: log.message, values: log.values }, headers, at);
    }
    for (const p of record.progress) {
      this.send(execId, tick, seq++, 'progress', { nodeId: p.nodeId, step: p.step, percent: p.percent }, headers, at);
    }
    for (const e of record.errors) {
      this.send(execId, tick, seq++, 'error', { nodeId: e.nodeId, code: e.code, message: e.message }, headers, at);
    }
    for (const e of record.errors) {
      if (e.code === 'BUDGET_EXCEEDED') this.send(execId, tick, seq++, 'budget_exceeded', { nodeId: e.nodeId, message: e.message }, headers, at);
    }
    for (const stuck of record.stuck ?? []) {
      const data: EventPayloads['node_stuck'] = {
        nodeId: stuck.nodeId,
        runningSinceTick: stuck.runningSinceTick,
        runningForMs: stuck.runningForMs,
        budgetMs: stuck.budgetMs,
        action: stuck.action,
      };
      this.send(execId, tick, seq++, 'node_stuck', data, headers, at);
    }
    if (record.overrun !== undefined) {
      const data = { tick, durationMs: record.durationMs, budgetMs: record.overrun.budgetMs };
      this.send(execId, tick, seq++, 'tick_overrun', data, headers, at);
    }
    const complete = { status: record.status, durationMs: record.durationMs, changes: record.nodes.length, writes: record.writes.length };
    this.send(execId, tick, seq++, 'tick_complete', complete, headers, at);
    return seq;
  }

  /** The debugger's hits, as `breakpoint_hit` / `watch_hit` events numbered from `seq`; returns the next. */
  hits(execId: string, tick: number, seq: number, hits: readonly DebugHit[], headers: MsgHdrs): number {
    for (const hit of hits) {
      if (hit.kind === 'breakpoint') {
        const data: EventPayloads['breakpoint_hit'] = { breakpointId: hit.breakpointId, nodeId: hit.nodeId, when: hit.when };
        if (hit.status !== undefined) data.status = hit.status;
        this.event(execId, tick, seq++, 'breakpoint_hit', data, headers);
      } else {
        const data: EventPayloads['watch_hit'] = { watchId: hit.watchId, key: hit.key, nodeId: hit.nodeId, tick: hit.tick };
        if ('oldValue' in hit) data.oldValue = hit.oldValue;
        if ('value' in hit) data.value = hit.value;
        this.event(execId, tick, seq++, 'watch_hit', data, headers);
      }
    }
    return seq;
  }

  /** One event outside the per-tick list (lifecycle), numbered `seq`. */
  event<T extends EventType>(execId: string, tick: number, seq: number, type: T, data: EventPayloads[T], headers?: MsgHdrs): void {
    this.send(execId, tick, seq, type, data, headers ?? this.nats.traceHeaders(), new Date().toISOString());
  }

  /** Writes to shared scopes, so other runners (and watchers) refresh their caches. */
  sharedChanges(execId: string, writes: readonly CommittedWrite[], headers?: MsgHdrs): void {
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
      this.nats.send(Subjects.bbChanged(write.scope), JSON.stringify(change), headers ?? this.nats.traceHeaders());
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
    // An EventEnvelope<T>, written out: only `data` needs JSON.stringify (`type` is one of
    // EventType's identifiers and `at` an ISO date, neither needs escaping). Several per tick.
    const json = `{"execId":${JSON.stringify(execId)},"type":"${type}","tick":${tick},"seq":${seq},"at":"${at}","data":${JSON.stringify(data)}}`;
    this.nats.send(Subjects.event(execId, type), json, headers);
  }
}
