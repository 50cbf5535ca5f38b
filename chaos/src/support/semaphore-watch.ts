import { type BlackboardChanged, Subjects } from '@canopy/contracts';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { formatTicks } from './invariants';

export interface SemaphoreChange {
  version: number;
  /** Absent when the key was deleted. */
  holders?: string[];
  source: string;
}

/**
 * The truth about a semaphore: every committed write of a team key is announced on core NATS
 * `canopy.bb.team:<team>.changed` with its new version (by the runner that committed it). Watching
 * from before the first acquire, every version 1, 2, 3... must be announced (announcements of
 * several runners may arrive out of order), and no announced holder list may be longer than `max`.
 */
export class SemaphoreWatch {
  readonly changes: SemaphoreChange[] = [];
  private sub: Subscription | undefined;

  private constructor(
    private readonly key: string,
    private readonly max: number,
  ) {}

  static async start(
    nc: NatsConnection,
    team: string,
    key: string,
    max: number,
  ): Promise<SemaphoreWatch> {
    const watch = new SemaphoreWatch(key, max);
    watch.sub = nc.subscribe(Subjects.bbChanged(`team:${team}`), {
      callback: (err, msg) => {
        if (err) return;
        const change = msg.json<BlackboardChanged>();
        if (change.key !== key) return;
        watch.changes.push({
          version: change.version,
          ...(change.deleted ? {} : { holders: change.value as string[] }),
          source: change.source,
        });
      },
    });
    await nc.flush();
    return watch;
  }

  /** The largest number of holders any announced value had. */
  get maxHolders(): number {
    return this.changes.reduce((max, c) => Math.max(max, c.holders?.length ?? 0), 0);
  }

  get lastVersion(): number {
    return this.changes.reduce((max, c) => Math.max(max, c.version), 0);
  }

  /** Everything that breaks the semaphore's promise, over every announcement so far. */
  problems(): string[] {
    return semaphoreProblems(this.key, this.max, this.changes);
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}

export function semaphoreProblems(key: string, max: number, changes: SemaphoreChange[]): string[] {
  const problems: string[] = [];
  const byVersion = new Map<number, SemaphoreChange>();
  for (const c of changes) {
    if (c.holders && !Array.isArray(c.holders))
      problems.push(`${key} v${c.version}: value is not a list`);
    else if (c.holders && c.holders.length > max) {
      problems.push(
        `${key} v${c.version}: ${c.holders.length} holders, max ${max}: ${c.holders.join(' ')}`,
      );
    } else if (c.holders && new Set(c.holders).size !== c.holders.length) {
      problems.push(`${key} v${c.version}: a holder twice: ${c.holders.join(' ')}`);
    }
    const seen = byVersion.get(c.version);
    if (seen && JSON.stringify(seen.holders) !== JSON.stringify(c.holders)) {
      problems.push(
        `${key} v${c.version}: announced twice with different values (${seen.source}, ${c.source})`,
      );
    }
    byVersion.set(c.version, c);
  }
  const last = Math.max(0, ...byVersion.keys());
  const skipped: number[] = [];
  for (let v = 1; v <= last; v++) if (!byVersion.has(v)) skipped.push(v);
  if (skipped.length > 0)
    problems.push(
      `${key}: versions never announced (skipped): ${formatTicks(skipped)} of 1-${last}`,
    );
  return problems;
}
