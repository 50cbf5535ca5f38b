import { SpanStatusCode, type Context } from '@opentelemetry/api';
import type { Checkpoint } from '@canopy/engine';
import { AppError } from '@canopy/service-kit';
import type { Redis } from 'ioredis';
import type { CommittedWrite, Publisher } from '../delivery/publisher';
import type { ExecMeta } from '../executions/execution-meta';
import type { Execution } from '../executions/execution';
import type { ScopeCache } from '../executions/scope-cache';
import type { Log } from '../log';
import type { RunnerMetrics } from '../metrics';
import { SpanAttrs, tracer } from '../telemetry';
import { parseCommitReply, queueCommit, queueCommitBatch, type CommitOutcome, type ScopeWrite } from './commit-request';

/** Ticks per batch script call within a slot: small enough that delivery starts early, large enough to batch. */
export const COMMIT_CHUNK = 64;

/** What the committer tells the runner that hosts the executions. */
export interface CommitHost {
  readonly runnerId: string;
  /** A commit was fenced: the shard is not ours any more. */
  shardFenced(shard: number): void;
  /** The execution was deleted under us. */
  executionGone(exec: Execution): void;
  /** A shared scope changed by one of our executions: wake the others that read it. */
  scopeChanged(scope: string, exceptExecId: string): void;
}

/** One tick to commit: its execution's next metadata, record (with the checkpoint) and net writes. */
export interface TickCommit {
  exec: Execution;
  epoch: number;
  next: ExecMeta;
  /** The record message's JSON text, which carries the checkpoint from byte `checkpointFrom` (see EncodedTick). */
  record: string;
  checkpointFrom: number;
  writes: ScopeWrite[];
  /** Outbox entries the stream acknowledged, removed by this commit. */
  trimThrough?: number;
  /** The debugger's state to store with the tick (`null` removes it; absent keeps it). */
  debug?: string | null;
  /** Stream ids of the external events the tick took (deleted from the queue by the commit). */
  events?: readonly string[];
  /** The tick's trace context (its `commit` span is a child). */
  ctx: Context;
  /** Store every metadata field, not only tick/status/state (a hot reload swapped the tree). */
  fullMeta?: boolean;
}

/**
 * What became of a commit. `retry` says when the execution can try again: `now` (a semaphore
 * moved: rebuild from Redis and tick again), `later` (Redis is away, or memory was behind it), or
 * `never` (the shard or the execution is gone from this runner).
 */
export type Settled =
  | { ok: true; committed: CommittedWrite[] }
  | { ok: false; error: AppError; retry: 'now' | 'later' | 'never' };

/**
 * The one place a commit is sent and its outcome applied, for ticks (in batch script calls of up
 * to COMMIT_CHUNK, all sent at once) and for command state changes. On success the cache gets the
 * versions Redis gave, shared-scope writes are announced and their readers woken. On any other
 * outcome the scopes the commit wrote are marked stale (they hold values Redis never received),
 * the execution must be rebuilt from its last commit, and the outcome says whether to retry.
 */
export class Committer {
  constructor(
    private readonly redis: Redis,
    private readonly cache: ScopeCache,
    private readonly publisher: Publisher,
    private readonly host: CommitHost,
    private readonly log: Log,
    private readonly metrics: RunnerMetrics,
  ) {}

  /**
   * Commits a slot's ticks: every chunk's batch call goes out at once (Redis runs them in order on
   * the one connection), and each chunk is settled as soon as its replies are in.
   */
  async commitTicks(ticks: TickCommit[], onSettled: (tick: TickCommit, settled: Settled) => void): Promise<void> {
    const chunks: TickCommit[][] = [];
    for (let i = 0; i < ticks.length; i += COMMIT_CHUNK) chunks.push(ticks.slice(i, i + COMMIT_CHUNK));
    const sent = chunks.map((chunk) => this.send(chunk));
    for (let i = 0; i < chunks.length; i++) {
      const replies = await sent[i];
      chunks[i].forEach((tick, j) => {
        const span = tracer.startSpan('commit', { attributes: { [SpanAttrs.batch]: chunks[i].length } }, tick.ctx);
        const settled = this.settle(tick.exec, tick.writes, replies[j]);
        if (settled.ok) {
          span.setAttribute('canopy.commit', 'ok');
        } else {
          span.setAttribute('canopy.commit', settled.error.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: settled.error.message });
        }
        span.end();
        onSettled(tick, settled);
      });
    }
  }

  /** A command's change of an execution; throws the AppError of any outcome but success. */
  async commitState(
    exec: Execution,
    epoch: number,
    next: ExecMeta,
    change: { checkpoint?: Checkpoint; writes?: ScopeWrite[]; debug?: string | null },
  ): Promise<CommittedWrite[]> {
    const writes = change.writes ?? [];
    const pipeline = this.redis.pipeline();
    queueCommit(pipeline, {
      runnerId: this.host.runnerId,
      shard: exec.shard,
      epoch,
      kind: 'state',
      meta: next,
      checkpoint: change.checkpoint,
      debug: change.debug,
      writes,
    });
    const [reply] = await this.replies(pipeline, 1);
    const settled = this.settle(exec, writes, this.parse(reply, writes));
    if (!settled.ok) throw settled.error;
    return settled.committed;
  }

  /** A chunk's commits as one batch script call: one reply per tick, in order. */
  private async send(chunk: TickCommit[]): Promise<(CommitOutcome | Error)[]> {
    const pipeline = this.redis.pipeline();
    queueCommitBatch(
      pipeline,
      chunk.map((t) => ({
        runnerId: this.host.runnerId,
        shard: t.exec.shard,
        epoch: t.epoch,
        kind: 'tick' as const,
        meta: t.next,
        checkpointInRecord: t.checkpointFrom,
        record: t.record,
        trimThrough: t.trimThrough,
        debug: t.debug,
        writes: t.writes,
        fullMeta: t.fullMeta,
        events: t.events,
      })),
    );
    const [batch] = await this.replies(pipeline, 1);
    if (batch instanceof Error) return chunk.map(() => batch);
    return chunk.map((t, i) => this.parse((batch as unknown[])[i], t.writes));
  }

  private parse(reply: unknown, writes: readonly ScopeWrite[]): CommitOutcome | Error {
    if (reply instanceof Error) return reply;
    try {
      return parseCommitReply(reply, writes);
    } catch (parseError) {
      return parseError as Error;
    }
  }

  /** Runs a pipeline of `count` commands: each reply, or the error that kept it from one. */
  private async replies(pipeline: ReturnType<Redis['pipeline']>, count: number): Promise<unknown[]> {
    let replies: [Error | null, unknown][] | null = null;
    let failure: Error | undefined;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      failure = error as Error;
    }
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const [error, reply] = replies?.[i] ?? [failure ?? new Error('no reply from Redis'), undefined];
      out.push(error ?? reply);
    }
    return out;
  }

  private settle(exec: Execution, writes: ScopeWrite[], outcome: CommitOutcome | Error): Settled {
    if (!(outcome instanceof Error) && outcome.kind === 'ok') return { ok: true, committed: this.applied(exec, writes, outcome) };
    for (const w of writes) this.cache.markStale(w.scope);
    if (outcome instanceof Error) {
      this.metrics.commitFailures++;
      exec.needsReload = true;
      this.log.error({ err: outcome, execId: exec.id }, 'commit failed');
      return { ok: false, retry: 'later', error: unavailable(outcome) };
    }
    switch (outcome.kind) {
      case 'fenced':
        this.metrics.fencedCommits++;
        this.log.warn({ execId: exec.id, shard: exec.shard, holder: outcome.owner }, 'commit fenced: shard lost');
        this.host.shardFenced(exec.shard);
        return { ok: false, retry: 'never', error: new AppError('FENCED', `runner ${this.host.runnerId} no longer owns shard ${exec.shard}`) };
      case 'gone':
        this.host.executionGone(exec);
        return { ok: false, retry: 'never', error: new AppError('EXECUTION_NOT_FOUND', `execution ${exec.id} was deleted`) };
      case 'stale':
        // Redis is ahead of this runner's memory (normally impossible: meta and checkpoint are
        // committed together); rebuild from Redis, a second later so a mismatch cannot spin.
        exec.needsReload = true;
        this.log.warn({ execId: exec.id, stored: outcome.storedTick }, 'stale commit: Redis is ahead of this runner; reloading');
        return { ok: false, retry: 'later', error: new AppError('INTERNAL', 'the tick was not newer than the stored one') };
      case 'conflict':
        exec.needsReload = true;
        this.metrics.semaphoreConflicts++;
        this.log.debug({ execId: exec.id, key: outcome.key }, 'semaphore taken meanwhile: ticking again');
        return { ok: false, retry: 'now', error: new AppError('INTERNAL', `semaphore ${outcome.key} changed meanwhile`) };
    }
  }

  private applied(exec: Execution, writes: ScopeWrite[], outcome: Extract<CommitOutcome, { kind: 'ok' }>): CommittedWrite[] {
    const committed: CommittedWrite[] = [];
    let released = 0;
    writes.forEach((w, i) => {
      // A release removed our holders from what Redis holds, which may differ from what we computed.
      const dropped = w.semaphore !== undefined && w.semaphore.added.length === 0 && !w.deleted;
      const value = dropped ? outcome.released[released++] : w.value;
      const c: CommittedWrite = { scope: w.scope, key: w.key, value, deleted: w.deleted, version: outcome.versions[i] };
      this.cache.apply(c);
      committed.push(c);
    });
    if (committed.length > 0) {
      this.publisher.sharedChanges(exec.id, committed);
      for (const c of committed) if (!c.scope.startsWith('exec:')) this.host.scopeChanged(c.scope, exec.id);
    }
    return committed;
  }
}

function unavailable(error: Error): AppError {
  return new AppError('DEPENDENCY_UNAVAILABLE', `commit failed: Redis unavailable (${error.message})`, undefined, {}, { cause: error });
}
