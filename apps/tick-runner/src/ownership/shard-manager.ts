import { rendezvousOwner } from '@canopy/contracts';
import type { Leases } from './leases';
import type { Membership } from './membership';

/** What the runner does when shards come and go. */
export interface ShardListener {
  /** We hold the lease at `epoch`: serve its commands, load and resume its executions. */
  shardAcquired(shard: number, epoch: number): Promise<void>;
  /** Clean handover: finish in-flight ticks and stop its executions, before the lease is released. */
  shardReleasing(shard: number): Promise<void>;
  /** The lease is gone (renewal failed, or a commit was fenced): stop at once, commit nothing more. */
  shardLost(shard: number): void;
}

export interface ShardManagerOptions {
  shardCount: number;
  leaseTtlMs: number;
  /** Called when the live membership changes, with the members that are gone (announcements, metrics). */
  onMembers?: (members: string[], gone: string[]) => void;
  /** A lease was taken or given up (metrics). */
  onLeaseChange?: (shard: number, held: boolean) => void;
  onError?: (error: unknown, during: string) => void;
}

/**
 * Keeps this runner holding exactly the shards rendezvous hashing gives it over the live members.
 *
 * Two loops: a renewal timer every TTL/3 (heartbeat + renew every held lease in one round trip,
 * dropping at once any shard whose renewal failed) that never waits on loading executions, and a
 * serialized rebalance (release the shards we should not hold, acquire the ones we should) run on
 * start, on membership changes and, while a wanted shard is still held by its previous owner, on a
 * short retry.
 */
export class ShardManager {
  private readonly held = new Map<number, number>();
  private members: string[] = [];
  private renewTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Fires when the first peer would expire, to notice a dead peer at once rather than at our next renewal. */
  private expiryTimer: NodeJS.Timeout | undefined;
  private rebalancing: Promise<void> | undefined;
  private rebalanceAgain = false;
  private stopped = false;

  constructor(
    private readonly membership: Membership,
    private readonly leases: Leases,
    private readonly listener: ShardListener,
    private readonly options: ShardManagerOptions,
  ) {}

  get runnerId(): string {
    return this.membership.runnerId;
  }

  epochOf(shard: number): number | undefined {
    return this.held.get(shard);
  }

  heldShards(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  liveMembers(): string[] {
    return [...this.members];
  }

  /** Joins the membership and takes this runner's shards. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.heartbeat();
    const period = Math.max(50, Math.floor(this.options.leaseTtlMs / 3));
    this.renewTimer = setInterval(() => void this.renew(), period);
    await this.rebalance();
  }

  /** Re-reads the membership and rebalances now (a peer joined or left). */
  async refresh(): Promise<void> {
    if (this.stopped) return;
    await this.heartbeat();
    await this.rebalance();
  }

  /** A commit was fenced: the shard is no longer ours. */
  lose(shard: number): void {
    if (!this.held.delete(shard)) return;
    this.options.onLeaseChange?.(shard, false);
    this.listener.shardLost(shard);
    this.scheduleRetry();
  }

  /**
   * Clean leave: drop out of the membership first (so peers compute without us), hand every shard
   * over (finish in-flight ticks, release the lease). Resolves when all leases are released.
   */
  async leave(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    await this.rebalancing;
    try {
      await this.membership.leave();
    } catch (error) {
      this.options.onError?.(error, 'leave');
    }
    await Promise.all(this.heldShards().map((shard) => this.handOver(shard)));
  }

  /** Stops the timers without releasing anything (tests simulating a crash). */
  halt(): void {
    this.stopped = true;
    this.clearTimers();
    for (const shard of this.heldShards()) this.lose(shard);
  }

  private clearTimers(): void {
    clearInterval(this.renewTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.expiryTimer);
  }

  private async heartbeat(): Promise<void> {
    const { members, nextExpiryMs } = await this.membership.heartbeat();
    const changed = members.join(',') !== this.members.join(',');
    const gone = this.members.filter((m) => !members.includes(m));
    this.members = members;
    if (changed) this.options.onMembers?.(members, gone);
    // A peer that stops renewing expires then: look again right after, and take its shards.
    clearTimeout(this.expiryTimer);
    if (Number.isFinite(nextExpiryMs) && !this.stopped) {
      this.expiryTimer = setTimeout(() => void this.refresh().catch((error: unknown) => this.options.onError?.(error, 'refresh')), nextExpiryMs + 5);
    }
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    try {
      const before = this.members.join(',');
      await this.heartbeat();
      const snapshot = new Map(this.held);
      const failed = await this.leases.renewAll(snapshot);
      for (const shard of failed) {
        if (this.held.get(shard) === snapshot.get(shard)) this.lose(shard);
      }
      if (before !== this.members.join(',') || failed.length > 0) void this.rebalance();
    } catch (error) {
      // Redis unreachable: we cannot prove we still own anything, so stop ticking everything.
      this.options.onError?.(error, 'renew');
      for (const shard of this.heldShards()) this.lose(shard);
    }
  }

  private wanted(): number[] {
    const me = this.membership.runnerId;
    const out: number[] = [];
    for (let shard = 0; shard < this.options.shardCount; shard++) {
      if (rendezvousOwner(shard, this.members) === me) out.push(shard);
    }
    return out;
  }

  /** Serialized: a request during a run makes the run go around once more. */
  rebalance(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.rebalancing) {
      this.rebalanceAgain = true;
      return this.rebalancing;
    }
    this.rebalancing = (async () => {
      do {
        this.rebalanceAgain = false;
        await this.rebalanceOnce().catch((error: unknown) => {
          this.options.onError?.(error, 'rebalance');
          this.scheduleRetry();
        });
      } while (this.rebalanceAgain && !this.stopped);
    })().finally(() => {
      this.rebalancing = undefined;
    });
    return this.rebalancing;
  }

  private async rebalanceOnce(): Promise<void> {
    const wanted = new Set(this.wanted());
    const surplus = this.heldShards().filter((shard) => !wanted.has(shard));
    await Promise.all(surplus.map((shard) => this.handOver(shard)));
    // Every missing shard at once: a failover takes a dead peer's shards in one round of loads.
    const missing = [...wanted].filter((shard) => !this.held.has(shard));
    const taken = await Promise.all(
      missing.map(async (shard) => {
        if (this.stopped) return false;
        const epoch = await this.leases.acquire(shard);
        if (epoch === undefined) return false;
        this.held.set(shard, epoch);
        this.options.onLeaseChange?.(shard, true);
        try {
          await this.listener.shardAcquired(shard, epoch);
        } catch (error) {
          this.options.onError?.(error, `load shard ${shard}`);
        }
        return true;
      }),
    );
    if (taken.includes(false)) this.scheduleRetry();
  }

  private async handOver(shard: number): Promise<void> {
    const epoch = this.held.get(shard);
    if (epoch === undefined) return;
    try {
      await this.listener.shardReleasing(shard);
    } finally {
      this.held.delete(shard);
      this.options.onLeaseChange?.(shard, false);
      await this.leases.release(shard, epoch).catch((error: unknown) => this.options.onError?.(error, 'release'));
    }
  }

  /** A wanted shard is still held by its previous owner (it is handing over, or its lease will expire). */
  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = Math.min(250, Math.max(20, Math.floor(this.options.leaseTtlMs / 10)));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.rebalance();
    }, delay);
  }
}
