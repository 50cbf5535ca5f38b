import { ROOT_CONTEXT, SpanStatusCode, context, trace, type Context, type Span } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import type { TickRecord } from '@canopy/engine';
import { RunnerError } from '../errors';
import type { Log } from '../log';
import { RunnerMetrics } from '../metrics';
import { SpanAttrs, tracer } from '../telemetry';
import { parseCommitReply, persistentWrites, queueCommit, type CommitOutcome, type ScopeWrite } from './commit';
import type { ExecMeta } from './execution-meta';
import { stoppedError, type ExecutionRuntime } from './execution-runtime';
import type { CommittedWrite, EncodedTick, Publisher } from './publisher';
import type { ScopeCache } from './scope-cache';

/** What the pipeline needs from the runner that hosts the executions. */
export interface PipelineHost {
  readonly runnerId: string;
  execution(id: string): ExecutionRuntime | undefined;
  epochOf(shard: number): number | undefined;
  /** A commit was fenced: the shard is not ours any more. */
  shardFenced(shard: number): void;
  /** The execution was deleted under us. */
  executionGone(exec: ExecutionRuntime): void;
  /** Re-reads an execution from Redis (after a failed commit). */
  reload(exec: ExecutionRuntime): Promise<void>;
  /** Schedules what comes after a tick or a state change. */
  plan(exec: ExecutionRuntime): void;
  /** A tick could not happen or commit (Redis trouble): try again a little later. */
  retryLater(exec: ExecutionRuntime): void;
  /** A shared scope changed by one of our executions: wake the others that read it. */
  scopeChanged(scope: string, exceptExecId: string): void;
}

/** Ticks per Redis pipeline within a slot: small enough that publishing starts early, large enough to batch. */
const COMMIT_CHUNK = 64;

interface PendingTick {
  exec: ExecutionRuntime;
  manual: boolean;
  epoch: number;
  record: TickRecord;
  /** The TickRecordMessage as UTF-8 JSON (and its checkpoint, a view into it), for commit and publish. */
  encoded: EncodedTick;
  next: ExecMeta;
  prevState: ExecMeta['state'];
  writes: ScopeWrite[];
  span: Span;
  ctx: Context;
  outcome?: CommitOutcome;
}

/**
 * One scheduler slot: tick every ready execution (synchronously, in memory), commit them in Redis
 * pipelines of up to COMMIT_CHUNK ticks (one Lua script each, fenced), all sent at once; publish
 * each chunk's tick records and derived events as soon as its commits are in, without waiting on
 * each ack in turn; then answer manual ticks and schedule what comes next.
 */
export class TickPipeline {
  constructor(
    private readonly redis: Redis,
    private readonly cache: ScopeCache,
    private readonly publisher: Publisher,
    private readonly host: PipelineHost,
    private readonly log: Log,
    private readonly metrics: RunnerMetrics = new RunnerMetrics(),
  ) {}

  readonly runSlot = async (ids: string[]): Promise<void> => {
    const ready: ExecutionRuntime[] = [];
    for (const id of ids) {
      const exec = this.host.execution(id);
      if (exec && !exec.closed && this.host.epochOf(exec.shard) !== undefined) ready.push(exec);
    }
    await Promise.all(
      ready
        .filter((exec) => exec.needsReload)
        .map((exec) =>
          this.host.reload(exec).catch((error: unknown) => {
            this.log.warn({ err: error, execId: exec.id }, 'reload before tick failed');
          }),
        ),
    );
    const pending: PendingTick[] = [];
    // A reload replaced the runtime object: tick the current one.
    for (const { id } of ready) {
      const exec = this.host.execution(id);
      if (!exec) continue;
      const tick = this.tickOne(exec);
      if (tick) pending.push(tick);
    }
    if (pending.length === 0) return;
    const ioStart = performance.now();
    // Every chunk's pipeline goes out at once (Redis runs them in order on the one connection);
    // each chunk is published as soon as its commits are in, so Redis and NATS work overlap.
    const chunks: PendingTick[][] = [];
    for (let i = 0; i < pending.length; i += COMMIT_CHUNK) chunks.push(pending.slice(i, i + COMMIT_CHUNK));
    const commits = chunks.map((chunk) => this.commitAll(chunk));
    const publishes: Promise<void>[] = [];
    for (let i = 0; i < chunks.length; i++) {
      await commits[i];
      publishes.push(this.publishAll(chunks[i]));
    }
    const committedAt = performance.now();
    await Promise.all(publishes);
    this.metrics.observeSlot(pending.length, committedAt - ioStart, performance.now() - committedAt);
    for (const p of pending) this.finish(p, ioStart);
  };

  /** The engine tick, synchronous: no message handler can interleave with it. */
  private tickOne(exec: ExecutionRuntime): PendingTick | undefined {
    if (exec.closed) return undefined;
    if (exec.needsReload) {
      // The reload before this slot failed: Redis is still away.
      exec.failManual(new RunnerError('DEPENDENCY_UNAVAILABLE', 'execution state could not be reloaded'));
      this.host.retryLater(exec);
      return undefined;
    }
    const manual = exec.hasManualTicks();
    if (exec.meta.state === 'stopped') {
      exec.failManual(stoppedError(exec.id));
      return undefined;
    }
    if (!manual && !exec.wantsScheduledTick()) return undefined;
    const epoch = this.host.epochOf(exec.shard);
    if (epoch === undefined) return undefined;

    // Lag behind the fixed-rate schedule: interval ticks only (manual ones have no due time).
    if (!manual && exec.meta.mode === 'interval' && exec.nextDue !== undefined) {
      this.metrics.observeLag(Date.now() - exec.nextDue);
    }
    const parent = exec.parent ?? ROOT_CONTEXT;
    exec.parent = undefined;
    exec.triggered = false;
    const span = tracer.startSpan('tick', { attributes: { [SpanAttrs.execId]: exec.id } }, parent);
    const ctx = trace.setSpan(parent, span);
    try {
      // Remote action requests started by this tick carry its trace context.
      const record = context.with(ctx, () => exec.tree.tick());
      const checkpoint = exec.tree.checkpoint();
      span.setAttributes({ [SpanAttrs.tick]: record.tick, [SpanAttrs.status]: record.status });
      const next: ExecMeta = {
        ...exec.meta,
        tick: record.tick,
        status: record.status,
        state: exec.stateAfterTick(record.tick, record.status),
      };
      return {
        exec,
        manual,
        epoch,
        record,
        encoded: this.publisher.encodeTick(exec, record, epoch, checkpoint),
        next,
        prevState: exec.meta.state,
        writes: persistentWrites(record, exec.view.scopes),
        span,
        ctx,
      };
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      this.log.error({ err: error, execId: exec.id }, 'engine tick threw');
      exec.needsReload = true;
      exec.failManual(new RunnerError('INTERNAL', `tick failed: ${(error as Error).message}`));
      this.host.retryLater(exec);
      return undefined;
    }
  }

  private async commitAll(pending: PendingTick[]): Promise<void> {
    const spans = pending.map((p) => tracer.startSpan('commit', { attributes: { [SpanAttrs.batch]: pending.length } }, p.ctx));
    const pipeline = this.redis.pipeline();
    for (const p of pending) {
      queueCommit(pipeline, {
        runnerId: this.host.runnerId,
        shard: p.exec.shard,
        epoch: p.epoch,
        kind: 'tick',
        meta: p.next,
        checkpoint: p.encoded.checkpoint,
        record: p.encoded.record,
        writes: p.writes,
      });
    }
    let replies: [Error | null, unknown][] | null = null;
    let failure: unknown;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      failure = error;
    }
    pending.forEach((p, i) => {
      const span = spans[i];
      const [error, reply] = replies?.[i] ?? [failure ?? new Error('no reply'), undefined];
      try {
        if (error) throw error;
        p.outcome = parseCommitReply(reply);
        span.setAttribute('canopy.commit', p.outcome.kind);
      } catch (commitError) {
        span.recordException(commitError as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        this.log.error({ err: commitError, execId: p.exec.id, tick: p.record.tick }, 'commit failed');
      }
      span.end();
      this.applyOutcome(p);
    });
  }

  private applyOutcome(p: PendingTick): void {
    const { exec, outcome } = p;
    if (exec.closed) return;
    switch (outcome?.kind) {
      case 'ok': {
        exec.meta = p.next;
        outcome.versions.forEach((version, i) => {
          const w = p.writes[i];
          this.cache.apply({ scope: w.scope, key: w.key, value: w.value, deleted: w.deleted, version });
        });
        return;
      }
      case 'fenced':
        this.metrics.fencedCommits++;
        this.log.warn({ execId: exec.id, shard: exec.shard, holder: outcome.owner }, 'commit fenced: shard lost');
        this.host.shardFenced(exec.shard);
        return;
      case 'gone':
        this.host.executionGone(exec);
        return;
      case 'stale':
        this.log.warn({ execId: exec.id, tick: p.record.tick, stored: outcome.storedTick }, 'stale commit ignored');
        exec.needsReload = true;
        exec.failManual(new RunnerError('INTERNAL', 'tick was not newer than the stored one; reloading'));
        return;
      default:
        this.metrics.commitFailures++;
        // Redis failed: memory is ahead of Redis, so the next tick reloads the last commit first.
        exec.needsReload = true;
        exec.failManual(new RunnerError('DEPENDENCY_UNAVAILABLE', 'commit failed: Redis unavailable'));
    }
  }

  /**
   * Every committed tick is published, also when its execution was let go meanwhile (the shard was
   * lost after the commit landed): the commit is the truth and history must not have a gap.
   */
  private async publishAll(pending: PendingTick[]): Promise<void> {
    const acks: Promise<unknown>[] = [];
    const at = new Date().toISOString();
    for (const p of pending) {
      if (p.outcome?.kind !== 'ok') continue;
      const span = tracer.startSpan('publish', {}, p.ctx);
      const versions = p.outcome.versions;
      const committed: CommittedWrite[] = p.writes.map((w, i) => ({ ...w, version: versions[i] }));
      // Every message of the tick carries the publish span's context; no span per message.
      const ctx = trace.setSpan(p.ctx, span);
      const headers = this.publisher.headers(ctx);
      const ack = this.publisher.publishTick(p.exec.id, p.record.tick, p.encoded.record, ctx);
      this.publisher.publishTickEvents(p.exec, p.record, (s) => this.concreteScope(p.exec, s), headers, at);
      if (p.next.state === 'completed' && p.prevState !== 'completed') {
        this.publisher.event(p.exec, p.record.tick, 'execution_completed', { status: p.record.status }, headers);
      }
      this.publisher.publishSharedChanges(p.exec.id, committed, headers);
      acks.push(
        ack.then(
          () => span.end(),
          (error: unknown) => {
            this.metrics.publishFailures++;
            span.recordException(error as Error);
            span.setStatus({ code: SpanStatusCode.ERROR });
            span.end();
            this.log.error({ err: error, execId: p.exec.id, tick: p.record.tick }, 'tick record publish failed');
          },
        ),
      );
    }
    await Promise.all(acks);
  }

  private finish(p: PendingTick, slotStart: number): void {
    p.span.end();
    const { exec } = p;
    if (exec.closed) return;
    if (p.outcome?.kind !== 'ok') {
      this.host.retryLater(exec);
      return;
    }
    this.metrics.observeTick(p.record.durationMs + (performance.now() - slotStart));
    if (p.manual) exec.manualTickDone();
    for (const w of p.writes) {
      if (!w.scope.startsWith('exec:')) this.host.scopeChanged(w.scope, exec.id);
    }
    this.host.plan(exec);
  }

  private concreteScope(exec: ExecutionRuntime, scope: string): string {
    if (scope === 'global' || scope === 'team' || scope === 'exec') return exec.view.scopes[scope];
    return scope;
  }
}
