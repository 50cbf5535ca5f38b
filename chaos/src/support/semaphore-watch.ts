import { type BlackboardChanged, Subjects } from '@canopy/contracts';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { formatTicks } from './invariants';

export interface SemaphoreChange {
  version: number;
  /** Absent when the key was deleted. */
  holders?: string[];
  source: string;
  /** When the announcement arrived (Date.now()). */
  at?: number;
}

/**
 * A runner killed with SIGKILL between a commit and its announcement (core NATS, sent right after
 * the commit) takes that announcement with it: docs/architecture.md says peers recover by reading
 * the scope again. Versions skipped at such a kill are excused, only if both announced versions
 * around the gap arrived within `withinMs` of the kill, and at most `maxVersions` of them.
 */
export interface KillExcuse {
  at: number;
  withinMs: number;
  maxVersions: number;
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
          at: Date.now(),
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
  problems(excuse?: KillExcuse): string[] {
    return semaphoreProblems(this.key, this.max, this.changes, excuse);
  }

  /** Versions skipped at the kill and excused (see KillExcuse), for the report. */
  excused(excuse: KillExcuse): number[] {
    return excusedVersions(this.changes, excuse);
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}

export function semaphoreProblems(
  key: string,
  max: number,
  changes: SemaphoreChange[],
  excuse?: KillExcuse,
): string[] {
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
  const excused = new Set(excuse ? excusedVersions(changes, excuse) : []);
  const skipped = skippedVersions(byVersion).filter((v) => !excused.has(v));
  const last = Math.max(0, ...byVersion.keys());
  if (skipped.length > 0)
    problems.push(
      `${key}: versions never announced (skipped): ${formatTicks(skipped)} of 1-${last}`,
    );
  return problems;
}

function skippedVersions(byVersion: Map<number, SemaphoreChange>): number[] {
  const last = Math.max(0, ...byVersion.keys());
  const skipped: number[] = [];
  for (let v = 1; v <= last; v++) if (!byVersion.has(v)) skipped.push(v);
  return skipped;
}

/** The skipped versions a kill excuses: none if more than `maxVersions` would be. */
export function excusedVersions(changes: SemaphoreChange[], excuse: KillExcuse): number[] {
  const byVersion = new Map(changes.map((c) => [c.version, c]));
  const near = (c: SemaphoreChange | undefined) =>
    c?.at !== undefined && Math.abs(c.at - excuse.at) <= excuse.withinMs;
  const excused = skippedVersions(byVersion).filter((v) => {
    let below = v - 1;
    while (below > 0 && !byVersion.has(below)) below--;
    let above = v + 1;
    while (!byVersion.has(above)) above++;
    return (below === 0 || near(byVersion.get(below))) && near(byVersion.get(above));
  });
  return excused.length <= excuse.maxVersions ? excused : [];
}
