import { writeStore } from '../../blackboard/access';
import type { Evaluator } from '../../expr/env';
import { FAILURE, RUNNING, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';
import type { NodeState } from '../../tree/state';

/**
 * Team-scope keys holding a semaphore's holders start with this. Hosts that persist the team scope
 * must apply writes to these keys atomically against concurrent holders (see the tick-runner's
 * commit), since two hosts can each see a free slot.
 */
export const SEMAPHORE_KEY_PREFIX = '__semaphore:';

/**
 * Slots live in the team scope (`__semaphore:<name>`, an array of `<execId>:<nodeId>`) so every
 * execution of a team sees them, the writes are recorded, and hosts persist them like any key.
 */
export class SemaphoreNode extends BtNode {
  private readonly key: string;
  private readonly holder: string;
  private max = 0;
  private held = false;

  constructor(
    id: string,
    rt: Runtime,
    name: string,
    private readonly maxExpr: Evaluator,
  ) {
    super(id, rt);
    this.key = `${SEMAPHORE_KEY_PREFIX}${name}`;
    this.holder = `${rt.execId}:${id}`;
  }

  protected override onStart(): void {
    this.max = this.evalNumber(this.maxExpr, ':max', true);
    if (this.max < 1) {
      this.report('BAD_ARGUMENT', `:max must be at least 1, got ${this.max}`);
      this.max = NaN;
    }
  }

  protected onTick(): TickStatus {
    if (Number.isNaN(this.max)) return FAILURE;
    if (!this.held && !this.acquire()) return FAILURE;
    const s = this.children[0].tick();
    if (s !== RUNNING) this.release();
    return s;
  }

  protected override onHalt(): void {
    super.onHalt();
    this.release();
  }

  private holders(): readonly unknown[] {
    const cur = this.rt.store.get('team', this.key);
    return Array.isArray(cur) ? cur : [];
  }

  private acquire(): boolean {
    const holders = this.holders();
    // Already listed (e.g. a restore after a crash between commit steps): it is ours.
    if (!holders.includes(this.holder)) {
      if (holders.length >= this.max) return false;
      writeStore(this.rt.store, this.rt.rec, 'team', this.key, [...holders, this.holder]);
    }
    this.held = true;
    return true;
  }

  private release(): void {
    if (!this.held) return;
    this.held = false;
    const holders = this.holders();
    if (holders.includes(this.holder)) {
      writeStore(
        this.rt.store,
        this.rt.rec,
        'team',
        this.key,
        holders.filter((h) => h !== this.holder),
      );
    }
  }

  protected override saveState(): NodeState | undefined {
    return this.held ? { held: true } : undefined;
  }

  protected override loadState(s: NodeState): void {
    this.held = s.held === true;
  }
}
