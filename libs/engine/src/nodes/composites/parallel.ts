import type { Evaluator } from '../../expr/env';
import { FAILURE, RUNNING, SUCCESS, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';
import { numberIn, type NodeState } from '../../tree/state';

export interface ParallelConfig {
  /** `:success` expression, or null to use `fixedSuccess` (default all, or `:policy`). */
  success: Evaluator | null;
  fixedSuccess: number;
  failure: Evaluator | null;
}

/** Ticks every unfinished child; finished ones wait for the whole node to complete. */
export class ParallelNode extends BtNode {
  /** Per child: 0 while unfinished, else its final status of this run. */
  private readonly done: Uint8Array;
  private succeeded = 0;
  private failed = 0;
  private need = 0;
  private maxFail = 1;

  constructor(
    id: string,
    rt: Runtime,
    private readonly cfg: ParallelConfig,
    childCount: number,
  ) {
    super(id, rt);
    this.done = new Uint8Array(childCount);
  }

  protected override onStart(): void {
    this.done.fill(0);
    this.succeeded = 0;
    this.failed = 0;
    const n = this.done.length;
    this.need = this.cfg.success
      ? this.evalNumber(this.cfg.success, ':success', true)
      : this.cfg.fixedSuccess;
    this.maxFail = this.cfg.failure ? this.evalNumber(this.cfg.failure, ':failure', true) : 1;
    if (this.need < 1 || this.need > n) {
      this.report('BAD_ARGUMENT', `:success must be between 1 and ${n}, got ${this.need}`);
      this.need = NaN;
    } else if (this.maxFail < 1) {
      this.report('BAD_ARGUMENT', `:failure must be at least 1, got ${this.maxFail}`);
      this.need = NaN;
    }
  }

  protected onTick(): TickStatus {
    if (Number.isNaN(this.need) || Number.isNaN(this.maxFail)) return FAILURE;
    const c = this.children;
    const done = this.done;
    for (let i = 0; i < c.length; i++) {
      if (done[i] !== 0) continue;
      const s = c[i].tick();
      if (s === RUNNING) continue;
      done[i] = s;
      if (s === SUCCESS) this.succeeded++;
      else this.failed++;
    }
    if (this.succeeded >= this.need) return this.complete(SUCCESS);
    // Fails as soon as success has become impossible, not only at the failure threshold.
    if (this.failed >= this.maxFail || c.length - this.failed < this.need)
      return this.complete(FAILURE);
    return RUNNING;
  }

  private complete(s: TickStatus): TickStatus {
    this.onHalt();
    return s;
  }

  protected override saveState(): NodeState | undefined {
    if (this.status !== RUNNING) return undefined;
    return { done: Array.from(this.done), need: this.need, maxFail: this.maxFail };
  }

  protected override loadState(s: NodeState): void {
    const done = Array.isArray(s.done) ? s.done : [];
    this.succeeded = 0;
    this.failed = 0;
    for (let i = 0; i < this.done.length; i++) {
      const v = done[i] === SUCCESS || done[i] === FAILURE ? done[i] : 0;
      this.done[i] = v;
      if (v === SUCCESS) this.succeeded++;
      else if (v === FAILURE) this.failed++;
    }
    this.need = numberIn(s, 'need', 0);
    this.maxFail = numberIn(s, 'maxFail', 1);
  }
}
