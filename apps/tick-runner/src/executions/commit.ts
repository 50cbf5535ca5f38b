import { RedisKeys, type TickRecordMessage } from '@canopy/contracts';
import type { Checkpoint, TickRecord } from '@canopy/engine';
import type { ChainableCommander } from 'ioredis';
import { metaToHash, type ExecMeta } from './execution-meta';
import type { ExecutionScopes } from './scope-cache';

/** A persistent write of a tick, resolved to its concrete scope. */
export interface ScopeWrite {
  scope: string;
  key: string;
  value?: unknown;
  deleted: boolean;
}

export interface CommitInput {
  runnerId: string;
  shard: number;
  epoch: number;
  /** `tick` commits are refused unless newer than the stored tick; `state` commits (commands) are not. */
  kind: 'tick' | 'state';
  meta: ExecMeta;
  /** The engine checkpoint, or its JSON (text or UTF-8 bytes) when the caller has it already. */
  checkpoint?: Checkpoint | string | Buffer;
  /** The tick's message (or its JSON, text or bytes), kept as an outbox until the next commit (`tick` commits). */
  record?: TickRecordMessage | string | Buffer;
  writes: ScopeWrite[];
}

export type CommitOutcome =
  | { kind: 'ok'; versions: number[] }
  | { kind: 'fenced'; owner: string; epoch: string }
  | { kind: 'stale'; storedTick: number }
  | { kind: 'gone' };

/** The engine's writes to persistent scopes (subtree/loop locals live in the checkpoint). */
export function persistentWrites(record: Pick<TickRecord, 'writes'>, scopes: ExecutionScopes): ScopeWrite[] {
  const out: ScopeWrite[] = [];
  for (const write of record.writes) {
    if (write.scope !== 'global' && write.scope !== 'team' && write.scope !== 'exec') continue;
    const deleted = !('new' in write) || write.new === undefined;
    out.push({ scope: scopes[write.scope], key: write.key, value: write.new, deleted });
  }
  return out;
}

/** Queues the commit script on a pipeline (see commit.lua.ts for the argument layout). */
export function queueCommit(pipeline: ChainableCommander, input: CommitInput): void {
  const scopes = [...new Set(input.writes.map((w) => w.scope))];
  const keys = [
    RedisKeys.lease(input.shard),
    RedisKeys.execMeta(input.meta.id),
    RedisKeys.execCheckpoint(input.meta.id),
    RedisKeys.execLastRecord(input.meta.id),
    ...scopes.flatMap((s) => [RedisKeys.scopeValues(s), RedisKeys.scopeVersions(s)]),
  ];
  // A tick changes only these fields of the metadata; commands (`state` commits) store all of it.
  const meta =
    input.kind === 'tick'
      ? ['tick', String(input.meta.tick), 'status', input.meta.status, 'state', input.meta.state]
      : Object.entries(metaToHash(input.meta)).flat();
  const writes = input.writes.flatMap((w) => [
    scopes.indexOf(w.scope) + 1,
    w.key,
    w.deleted ? 'del' : 'set',
    w.deleted ? '' : JSON.stringify(w.value ?? null),
  ]);
  pipeline.canopyCommit(
    keys.length,
    ...keys,
    input.runnerId,
    String(input.epoch),
    input.kind,
    input.meta.tick,
    asJson(input.checkpoint),
    asJson(input.record),
    meta.length / 2,
    ...meta,
    input.writes.length,
    ...writes,
  );
}

/** JSON for a script argument: objects are serialised, text and bytes go as they are, nothing is ''. */
function asJson(value: object | string | Buffer | undefined): string | Buffer {
  if (value === undefined) return '';
  return typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value);
}

export function parseCommitReply(reply: unknown): CommitOutcome {
  if (!Array.isArray(reply)) throw new Error(`unexpected commit reply: ${JSON.stringify(reply)}`);
  const [tag, ...rest] = reply as unknown[];
  switch (tag) {
    case 'OK':
      return { kind: 'ok', versions: rest.map(Number) };
    case 'FENCED':
      return { kind: 'fenced', owner: String(rest[0] ?? ''), epoch: String(rest[1] ?? '') };
    case 'STALE':
      return { kind: 'stale', storedTick: Number(rest[0]) };
    case 'GONE':
      return { kind: 'gone' };
    default:
      throw new Error(`unexpected commit reply: ${JSON.stringify(reply)}`);
  }
}
