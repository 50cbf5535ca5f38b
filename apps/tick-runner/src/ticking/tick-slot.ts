import { ROOT_CONTEXT, SpanStatusCode, context, trace, type Context, type Span } from '@opentelemetry/api';
import { tickMsgId, type EventPayloads, type PausedAt } from '@canopy/contracts';
import { applySwap, type AppliedSwap } from '../reload/tree-swap';
import type { DebugHit, TickRecord } from '@canopy/engine';
import { AppError } from '@canopy/service-kit';
import { persistentWrites } from '../commit/commit-request';
import type { Committer, Settled, TickCommit } from '../commit/committer';
import type { Outbox } from '../delivery/outbox';
import type { Publisher } from '../delivery/publisher';
import { tokensOf } from '../executions/llm-budget';
import type { ExecMeta } from '../executions/execution-meta';
import { stoppedError, type Execution } from '../executions/execution';
import { scopeList, type ScopeCache } from '../executions/scope-cache';
import type { Log } from '../log';
import type { RunnerMetrics } from '../metrics';
import { SpanAttrs, tracer } from '../telemetry';
import type { ExecutionHost } from './execution-host';

/** A tick done in memory, on its way to Redis and the stream. */
interface PendingTick extends TickCommit {
  manual: boolean;
  /** The record message's bytes, for the stream (the commit stores its text). */
  bytes: Buffer;
  tickRecord: TickRecord;
  prevState: ExecMeta['state'];
  /** What the debugger met on the way (a `replace` hook, say). */
  hits: readonly DebugHit[];
  /** The tick ended a pause: the execution runs on. */
  resumed: boolean;
  /** A let-finish-then-swap took effect at the start of this tick. */
  reloaded?: EventPayloads['tree_reloaded'];
  span: Span;
}

/** A debugged tick that stopped at a node boundary: nothing of it is applied. */
interface PendingPause {
  exec: Execution;
  epoch: number;
  at: PausedAt;
  hits: readonly DebugHit[];
  /** A pause the runner chose between ticks (no engine tick is held), and the error that caused it. */
  refused?: AppError;
}

const NO_HITS: readonly DebugHit[] = [];

/**
 * One scheduler slot: tick every ready execution (synchronously, in memory), commit the ticks in
 * Redis pipelines (the committer), and hand each committed record to the outbox, which delivers it
 * and its events. A slot ends when its commits are settled; it does not wait for the stream.
 */
export class TickSlot {
  constructor(
    private readonly host: ExecutionHost,
    private readonly committer: Committer,
    private readonly outbox: Outbox,
    private readonly publisher: Publisher,
    private readonly cache: ScopeCache,
    private readonly log: Log,
    private readonly metrics: RunnerMetrics,
  ) {}

  readonly run = async (ids: string[]): Promise<void> => {
    const ready = await this.prepare(ids);
    const pending: PendingTick[] = [];
    const pauses: PendingPause[] = [];
    for (const exec of ready) {
      const tick = this.tickOne(exec);
      if (tick === undefined) continue;
      if ('at' in tick) pauses.push(tick);
      else pending.push(tick);
    }
    const pausing = Promise.all(pauses.map((p) => this.paused(p)));
    if (pending.length > 0) {
      const start = performance.now();
      await this.committer.commitTicks(pending, (tick, settled) => this.committed(tick as PendingTick, settled, start));
      this.metrics.observeSlot(pending.length, performance.now() - start);
    }
    await pausing;
  };

  /**
   * The executions of this slot, each able to tick: rebuilt from Redis if memory got ahead of it,
   * and with every scope it reads read again if a refused commit left it stale.
   */
  private async prepare(ids: string[]): Promise<Execution[]> {
    const candidates: Execution[] = [];
    for (const id of ids) {
      const exec = this.host.execution(id);
      if (exec && !exec.closed && this.host.epochOf(exec.shard) !== undefined) candidates.push(exec);
    }
    await Promise.all(
      candidates
        .filter((exec) => exec.needsReload)
        .map((exec) =>
          this.host.reload(exec).catch((error: unknown) => this.log.warn({ err: error, execId: exec.id }, 'reload before tick failed')),
        ),
    );
    const stale = new Set<string>();
    const ready: Execution[] = [];
    for (const { id } of candidates) {
      // A reload replaced the object: tick the current one.
      const exec = this.host.execution(id);
      if (!exec || exec.closed) continue;
      for (const scope of scopeList(exec.view.scopes)) if (this.cache.isStale(scope)) stale.add(scope);
      ready.push(exec);
    }
    if (stale.size === 0) return ready;
    try {
      await this.cache.refresh(stale);
      return ready;
    } catch (error) {
      this.log.warn({ err: error }, 'stale scopes could not be read again; ticks wait');
      return ready.filter((exec) => {
        if (!scopeList(exec.view.scopes).some((s) => this.cache.isStale(s))) return true;
        this.host.retryLater(exec);
        return false;
      });
    }
  }

  /** The engine tick, synchronous: no message handler can interleave with it. */
  private tickOne(exec: Execution): PendingTick | PendingPause | undefined {
    if (exec.closed) return undefined;
    if (exec.needsReload) {
      // The reload before this slot failed: Redis is still away.
      exec.failManual(new AppError('DEPENDENCY_UNAVAILABLE', 'execution state could not be reloaded'));
      this.host.retryLater(exec);
      return undefined;
    }
    const manual = exec.hasManualTicks();
    if (exec.meta.state === 'stopped') {
      exec.failManual(stoppedError(exec.id));
      return undefined;
    }
    const step = exec.debug?.pendingStep;
    if (!manual && step === undefined && !exec.wantsScheduledTick()) return undefined;
    const epoch = this.host.epochOf(exec.shard);
    if (epoch === undefined) return undefined;
    // Too many records not yet in the stream (NATS away): wait for them, then go on.
    if (this.outbox.full(exec.id)) return undefined;

    // Lag behind the fixed-rate schedule: interval ticks only (manual ones have no due time).
    if (!manual && step === undefined && exec.meta.mode === 'interval' && exec.nextDue !== undefined) {
      this.metrics.observeLag(Date.now() - exec.nextDue);
    }
    // A pending let-finish-then-swap whose old run has finished: this tick is the new tree's first.
    // Not while a tick is paused in the debugger (that tick belongs to the old tree).
    let swapped: AppliedSwap | undefined;
    if (exec.swap?.reload.ready === true && exec.debug?.dbg.paused === undefined) {
      try {
        swapped = applySwap(exec, exec.swap);
      } catch (error) {
        this.log.error({ err: error, execId: exec.id }, 'pending reload failed; rebuilding from Redis');
        exec.needsReload = true;
        this.host.retryLater(exec);
        return undefined;
      }
    }
    exec.applyWatchdog();
    const parent = exec.parent ?? ROOT_CONTEXT;
    exec.parent = undefined;
    exec.triggered = false;
    const span = tracer.startSpan('tick', { attributes: { [SpanAttrs.execId]: exec.id } }, parent);
    const ctx = trace.setSpan(parent, span);
    try {
      // The watchdog's `pause` stops the tick at the stuck node, for the debugger: a tick in which
      // a node may become stuck runs through it, which decides on the tick's own clock reading
      // (and ticks plainly when none is stuck by then). Other executions keep the plain path.
      const mayStick = exec.meta.watchdog?.action === 'pause' && Number.isFinite(exec.tree.stuckDeadline);
      const debug = mayStick ? exec.debugSession() : exec.debug;
      // The blackboard the execution was created with goes into its first tick's record: history
      // knows the keys ticks write, and forks need the others too. Taken before tick 1's first step.
      if (exec.meta.tick === 0 && debug?.dbg.paused === undefined) {
        exec.initialBlackboard ??= this.cache.entries(exec.view.scopes.exec);
      }
      const initial = exec.meta.tick === 0 ? exec.initialBlackboard : undefined;
      // The oldest queued events; a paused tick goes on with the batch it has (the same ones).
      const taken = exec.eventsForTick();
      const batch = debug?.dbg.paused !== undefined ? undefined : exec.events.events(taken);
      const options = batch === undefined ? undefined : { events: batch };
      let record: TickRecord;
      let hits = NO_HITS;
      if (debug !== undefined && (debug.engaged || step !== undefined || mayStick)) {
        // Remote action requests started by this tick carry its trace context.
        const outcome = context.with(ctx, () => debug.dbg.step(step ?? 'continue', options));
        if (outcome.kind === 'paused') {
          span.setAttribute('canopy.paused', outcome.at.nodeId ?? '');
          span.end();
          return { exec, epoch, at: outcome.at, hits: outcome.hits };
        }
        record = outcome.record;
        hits = outcome.hits;
      } else {
        record = context.with(ctx, () => exec.tree.tick(options));
      }
      // Only a `continue` (or a resume) ends a pause: after any other step, or a manual tick, that
      // finished the tick, the execution stays paused, between ticks.
      const wasPaused = exec.meta.state === 'paused';
      const stayPaused = wasPaused ? step !== 'continue' : step !== undefined && step !== 'continue';
      if (debug !== undefined) {
        debug.pendingStep = undefined;
        debug.between = stayPaused ? (debug.between ?? 'step') : undefined;
      }
      const base: ExecMeta =
        wasPaused && !stayPaused ? { ...exec.meta, state: debug?.resume ?? 'running' } : exec.meta;
      const state = stayPaused ? 'paused' : exec.stateAfterTick(record.tick, record.status, base);
      if (state === 'completed' && record.status === 'RUNNING') this.haltInto(exec, record);
      if (debug !== undefined && !stayPaused) debug.resume = undefined;
      const dbg = exec.debug;
      span.setAttributes({ [SpanAttrs.tick]: record.tick, [SpanAttrs.status]: record.status });
      const next: ExecMeta = { ...base, ...swapped?.meta, tick: record.tick, status: record.status, state };
      const tokens = tokensOf(record);
      if (tokens > 0) next.llmTokens = (base.llmTokens ?? 0) + tokens;
      const writes = persistentWrites(record.writes, exec.view.scopes);
      const checkpoint = exec.tree.checkpoint();
      let encoded = this.publisher.encodeTick(next, record, epoch, checkpoint, initial);
      if (initial !== undefined && encoded.bytes.length > this.publisher.recordMaxBytes()) {
        // The initial blackboard is for history's forks; the tick itself must not fail for it.
        encoded = this.publisher.encodeTick(next, record, epoch, checkpoint);
      }
      if (encoded.bytes.length > this.publisher.recordMaxBytes()) {
        // A record the stream cannot take would be committed and then never published: history
        // would miss the tick for good. The tick is not committed; the request says why.
        return this.tooLarge(exec, epoch, span, record.tick, encoded.bytes.length);
      }
      return {
        exec,
        epoch,
        next,
        checkpointFrom: encoded.checkpointFrom,
        record: encoded.json,
        bytes: encoded.bytes,
        writes: swapped === undefined ? writes : [...swapped.writes, ...writes],
        trimThrough: this.outbox.trimmable(exec.id),
        debug: dbg === undefined ? undefined : dbg.toJson(),
        events: exec.events.ids(taken),
        ctx,
        manual,
        tickRecord: record,
        prevState: exec.meta.state,
        hits,
        resumed: wasPaused && !stayPaused,
        reloaded: swapped?.event,
        fullMeta: swapped !== undefined,
        span,
      };
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      this.log.error({ err: error, execId: exec.id }, 'engine tick threw');
      exec.needsReload = true;
      exec.failManual(new AppError('INTERNAL', `tick failed: ${(error as Error).message}`));
      this.host.retryLater(exec);
      return undefined;
    }
  }


  /**
   * The tick is not committed. A waiting request gets 413; a scheduled run is paused with the reason
   * (`record_too_large`), since the same data would be refused again every retry: the user shrinks
   * the value (blackboard edit, reload) and resumes.
   */
  private tooLarge(exec: Execution, epoch: number, span: Span, tick: number, bytes: number): PendingPause | undefined {
    const max = this.publisher.recordMaxBytes();
    const error = new AppError(
      'PAYLOAD_TOO_LARGE',
      `tick ${tick} of execution ${exec.id} was not committed: its record would be ${bytes} bytes, more than a NATS message may hold (${max}); write smaller blackboard values`,
      { tick, bytes, max },
    );
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    span.end();
    this.log.warn({ execId: exec.id, tick, bytes, max }, 'tick record too large; tick not committed');
    // The engine and the scope cache ran ahead of Redis: both are read again before a next try.
    for (const scope of scopeList(exec.view.scopes)) this.cache.markStale(scope);
    exec.needsReload = true;
    exec.failManual(error);
    if (exec.meta.state !== 'running') return undefined;
    return { exec, epoch, at: { tick, reason: 'record_too_large' }, hits: NO_HITS, refused: error };
  }

  /**
   * A run that ends (maxTicks) while its tree is still RUNNING halts it in the same tick, so what
   * the tree holds (running actions, semaphore slots) is released with the commit that ends it. The
   * record shows the halt, and its status is the root's after it (IDLE), as after a `stop`.
   */
  private haltInto(exec: Execution, record: TickRecord): void {
    const halted = exec.tree.halt();
    record.nodes.push(...halted.nodes);
    record.writes.push(...halted.writes);
    record.errors.push(...halted.errors);
    record.status = exec.tree.status;
  }

  private committed(p: PendingTick, settled: Settled, slotStart: number): void {
    const { exec } = p;
    if (!settled.ok) {
      p.span.end();
      if (settled.retry === 'now') {
        if (!exec.closed) this.host.scheduler.enqueue(exec.id);
      } else if (settled.retry === 'later') {
        exec.failManual(settled.error);
        this.host.retryLater(exec);
      }
      return;
    }
    exec.meta = p.next;
    if (p.events !== undefined && p.events.length > 0) {
      exec.events.drop(p.events);
      // More than one batch was waiting: an event execution ticks again for the rest.
      if (exec.meta.mode === 'event' && exec.events.length > 0) exec.triggered = true;
    }
    const through = p.trimThrough;
    if (through !== undefined) this.outbox.trimmed(exec.id, through);
    const delivered = this.deliver(p);
    this.metrics.observeTick(p.tickRecord.durationMs + (performance.now() - slotStart));
    if (p.manual) exec.manualTickCommitted(delivered);
    exec.debug?.answerSteps(exec.debugView());
    this.host.plan(exec);
  }

  /**
   * A debugged tick stopped at a node boundary: the execution is stored paused (with what the
   * debugger needs to go on, here or on another runner), waiting requests are answered at once,
   * and the hits and `execution_paused` go out after everything before them.
   */
  private async paused(p: PendingPause): Promise<void> {
    const { exec, at, refused } = p;
    const debug = exec.debugSession();
    if (exec.meta.state !== 'paused') debug.resume = exec.meta.state;
    debug.pendingStep = undefined;
    debug.between = refused === undefined ? undefined : at.reason;
    const next: ExecMeta = { ...exec.meta, state: 'paused' };
    try {
      await this.committer.commitState(exec, p.epoch, next, { debug: debug.toJson() });
    } catch (error) {
      // Not stored: the tick is run again from Redis's state.
      debug.between = undefined;
      exec.failManual(error as AppError);
      this.host.retryLater(exec);
      return;
    }
    exec.meta = next;
    exec.answerPaused(at);
    debug.answerSteps(exec.debugView());
    const headers = this.publisher.eventHeaders();
    this.outbox.addEvents(exec.id, exec.meta.tick, (seq) => {
      seq = this.publisher.hits(exec.id, exec.meta.tick, seq, p.hits, headers);
      const error = refused === undefined ? undefined : { code: refused.code, message: refused.message };
      this.publisher.event(exec.id, exec.meta.tick, seq++, 'execution_paused', { pausedAt: at, ...(error && { error }) }, headers);
      return seq;
    });
    this.host.plan(exec);
  }

  /**
   * The committed record goes to the outbox; once the stream has it, its events follow (and
   * `execution_completed` when this tick ended the run), in a `publish` span under the tick.
   */
  private deliver(p: PendingTick): Promise<void> {
    const { exec, tickRecord, next, prevState } = p;
    const publish = tracer.startSpan('publish', {}, p.ctx);
    const ctx: Context = trace.setSpan(p.ctx, publish);
    const headers = this.publisher.eventHeaders(ctx);
    const scopes = exec.view.scopes;
    const scopeOf = (s: string) => (s === 'global' || s === 'team' || s === 'exec' ? scopes[s] : s);
    const completed = next.state === 'completed' && prevState !== 'completed';
    const { hits, resumed, reloaded } = p;
    const delivered = this.outbox.add(exec.id, tickRecord.tick, p.bytes, this.publisher.headers(ctx), (seq) => {
      if (reloaded) this.publisher.event(exec.id, tickRecord.tick, seq++, 'tree_reloaded', reloaded, headers);
      let n = this.publisher.tickEvents(exec.id, tickRecord, scopeOf, headers, seq);
      n = this.publisher.hits(exec.id, tickRecord.tick, n, hits, headers);
      if (resumed) this.publisher.event(exec.id, tickRecord.tick, n++, 'execution_resumed', { mode: next.mode }, headers);
      if (completed) this.publisher.event(exec.id, tickRecord.tick, n++, 'execution_completed', { status: tickRecord.status }, headers);
      return n;
    }, tickMsgId(exec.id, tickRecord.tick, next.createdAt));
    delivered.then(
      () => {
        publish.end();
        p.span.end();
      },
      (error: unknown) => {
        publish.recordException(error as Error);
        publish.setStatus({ code: SpanStatusCode.ERROR });
        publish.end();
        p.span.end();
      },
    );
    return delivered;
  }
}

