import type { Evaluator } from '../../expr/env';
import { FAILURE, RUNNING, type TickStatus } from '../../status';
import { BtNode, EVAL_FAILED } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';
import { numberIn, type NodeState } from '../../tree/state';

/** A scored choice. A real node so its score, status and id show up like any other. */
export class OptionNode extends BtNode {
  constructor(
    id: string,
    rt: Runtime,
    private readonly score: Evaluator,
  ) {
    super(id, rt);
  }

  /** NaN when the score failed or is not a number (the error is recorded on this option). */
  scoreNow(): number {
    const v = this.evaluate(this.score);
    if (v === EVAL_FAILED) return NaN;
    if (typeof v !== 'number' || Number.isNaN(v)) {
      this.report('BAD_ARGUMENT', `option score must be a number, got ${JSON.stringify(v)}`);
      return NaN;
    }
    return v;
  }

  protected onTick(): TickStatus {
    return this.children[0].tick();
  }
}

/**
 * Utility selection with hysteresis, so two nearly equal options do not flap: the running
 * option keeps its place while it scores within H of the best.
 */
export class ScoringSelectorNode extends BtNode {
  private readonly scores: Float64Array;
  private current = -1;
  private h = 0;

  constructor(
    id: string,
    rt: Runtime,
    private readonly hysteresis: Evaluator | null,
    childCount: number,
  ) {
    super(id, rt);
    this.scores = new Float64Array(childCount);
  }

  protected override onStart(): void {
    this.current = -1;
    this.h = this.hysteresis ? this.evalNumber(this.hysteresis, ':hysteresis', false) : 0;
  }

  protected onTick(): TickStatus {
    if (Number.isNaN(this.h)) return FAILURE;
    const c = this.children as readonly OptionNode[];
    const scores = this.scores;
    let best = 0;
    for (let i = 0; i < c.length; i++) {
      const v = c[i].scoreNow();
      if (Number.isNaN(v)) return this.fail();
      scores[i] = v;
      if (v > scores[best]) best = i;
    }
    let pick = best;
    const cur = this.current;
    if (cur >= 0 && c[cur].status === RUNNING) {
      if (scores[cur] >= scores[best] - this.h) pick = cur;
      else c[cur].halt();
    }
    const s = c[pick].tick();
    this.current = s === RUNNING ? pick : -1;
    return s;
  }

  private fail(): TickStatus {
    this.onHalt();
    this.current = -1;
    return FAILURE;
  }

  protected override saveState(): NodeState | undefined {
    return this.current >= 0 ? { current: this.current, h: this.h } : undefined;
  }

  protected override loadState(s: NodeState): void {
    this.current = numberIn(s, 'current', -1);
    this.h = numberIn(s, 'h', 0);
  }
}
