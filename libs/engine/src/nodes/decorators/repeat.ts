import type { Evaluator } from '../../expr/env';
import { FAILURE, RUNNING, SUCCESS, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';
import { numberIn, type NodeState } from '../../tree/state';

/** Shared by repeat and retry: count one child outcome, pass the other through. */
abstract class CountingNode extends BtNode {
  private times = 0;
  private count = 0;
  protected abstract readonly counted: TickStatus;

  constructor(
    id: string,
    rt: Runtime,
    private readonly timesExpr: Evaluator,
  ) {
    super(id, rt);
  }

  protected override onStart(): void {
    this.count = 0;
    this.times = this.evalNumber(this.timesExpr, ':times', true);
    if (this.times < -1) {
      this.report('BAD_ARGUMENT', `:times must be -1 (forever) or more, got ${this.times}`);
      this.times = NaN;
    }
  }

  protected onTick(): TickStatus {
    const times = this.times;
    if (Number.isNaN(times)) return FAILURE;
    if (times === 0) return this.counted;
    const s = this.children[0].tick();
    if (s !== this.counted) return s;
    this.count++;
    return times > 0 && this.count >= times ? s : RUNNING;
  }

  protected override saveState(): NodeState | undefined {
    return this.status === RUNNING ? { times: this.times, count: this.count } : undefined;
  }

  protected override loadState(s: NodeState): void {
    this.times = numberIn(s, 'times', 0);
    this.count = numberIn(s, 'count', 0);
  }
}

/** Counts successes; RUNNING between them (one child run per tick), SUCCESS at the Nth. */
export class RepeatNode extends CountingNode {
  protected readonly counted = SUCCESS;
}

/** Counts failures; RUNNING while attempts remain, FAILURE at the Nth. */
export class RetryNode extends CountingNode {
  protected readonly counted = FAILURE;
}
