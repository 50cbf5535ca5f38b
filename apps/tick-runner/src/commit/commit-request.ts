import { RedisKeys, type TickRecordMessage } from '@canopy/contracts';
import { SEMAPHORE_KEY_PREFIX, type Checkpoint, type WriteRecord } from '@canopy/engine';
import type { ChainableCommander } from 'ioredis';
import { metaToHash, type ExecMeta } from '../executions/execution-meta';
import type { ExecutionScopes } from '../executions/scope-cache';

/**
 * A semaphore's holder list changed by the tick: `added` holders need a free slot, which another
 * runner may have taken meanwhile, so the write only lands if the stored list is still `expected`;
 * a pure release (`added` empty) removes `removed` from whatever is stored.
 */
export interface SemaphoreChange {
  /** The holders the engine saw before its first write of the key this tick (undefined: no key). */
  expected: unknown;
  added: string[];
  removed: string[];
}

/** A tick's net write to one key of a persistent scope, resolved to its concrete scope. */
export interface ScopeWrite {
  scope: string;
  key: string;
  value?: unknown;
  deleted: boolean;
  semaphore?: SemaphoreChange;
}

export interface CommitRequest {
  runnerId: string;
  shard: number;
  epoch: number;
  /** `tick` commits are refused unless newer than the stored tick; `state` commits (commands) are not. */
  kind: 'tick' | 'state';
  meta: ExecMeta;
  /** The engine checkpoint, or its JSON (text or UTF-8 bytes) when the caller has it already. */
  checkpoint?: Checkpoint | string | Buffer;
  /**
   * Instead of `checkpoint`: the UTF-8 byte offset in `record` (a record message's text, whose last
   * field is its checkpoint) where the checkpoint's JSON starts; it runs to the record's last byte
   * but one. The checkpoint then travels once.
   */
  checkpointInRecord?: number;
  /** The tick's message (or its JSON, text or bytes), added to the execution's outbox. */
  record?: TickRecordMessage | string | Buffer;
  /** Drops outbox entries up to this tick: the stream has acknowledged them. */
  trimThrough?: number;
  /** The debugger's state (JSON) to store, `null` to remove it; absent keeps what is stored. */
  debug?: string | null;
  writes: ScopeWrite[];
  /** A tick that changed more of the metadata (a hot reload's swap: version, library): store all of it. */
  fullMeta?: boolean;
  /** Stream ids of the external events the tick took: deleted from the queue by this commit. */
  events?: readonly string[];
}

export type CommitOutcome =
  | { kind: 'ok'; versions: number[]; /** What each semaphore release left stored, in write order. */ released: unknown[] }
  | { kind: 'fenced'; owner: string; epoch: string }
  | { kind: 'stale'; storedTick: number }
  | { kind: 'conflict'; key: string }
  | { kind: 'gone' };

/**
 * The engine's writes to persistent scopes (subtree and loop locals live in the checkpoint), one
 * per key: the last value wins and a semaphore key keeps the holders it had before the first
 * write, so the commit can check nobody else changed them.
 */
export function persistentWrites(writes: readonly WriteRecord[], scopes: ExecutionScopes): ScopeWrite[] {
  if (writes.length === 0) return [];
  const byKey = new Map<string, ScopeWrite>();
  for (const write of writes) {
    if (write.scope !== 'global' && write.scope !== 'team' && write.scope !== 'exec') continue;
    const scope = scopes[write.scope];
    const id = `${scope}\u0000${write.key}`;
    const deleted = !('new' in write) || write.new === undefined;
    const earlier = byKey.get(id);
    if (earlier) {
      earlier.value = write.new;
      earlier.deleted = deleted;
      continue;
    }
    const out: ScopeWrite = { scope, key: write.key, value: write.new, deleted };
    if (write.scope === 'team' && write.key.startsWith(SEMAPHORE_KEY_PREFIX)) {
      out.semaphore = { expected: write.old, added: [], removed: [] };
    }
    byKey.set(id, out);
  }
  const out = [...byKey.values()];
  for (const w of out) {
    if (!w.semaphore) continue;
    const before = holdersOf(w.semaphore.expected);
    const after = holdersOf(w.value);
    w.semaphore.added = after.filter((h) => !before.includes(h));
    w.semaphore.removed = before.filter((h) => !after.includes(h));
  }
  return out;
}

function holdersOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((h): h is string => typeof h === 'string') : [];
}

type Arg = string | number | Buffer;

/** Queues the commit script on a pipeline (see commit.lua.ts for the argument layout). */
export function queueCommit(pipeline: ChainableCommander, input: CommitRequest): void {
  const { keys, args } = commitArguments(input);
  pipeline.canopyCommit(keys.length, ...keys, ...args);
}

/**
 * Queues the batch commit script on a pipeline: one call for all of `inputs`, replying one
 * COMMIT_LUA reply per input (parse each with `parseCommitReply`).
 */
export function queueCommitBatch(pipeline: ChainableCommander, inputs: readonly CommitRequest[]): void {
  const keys: Arg[] = [];
  const counts: Arg[] = [inputs.length];
  const args: Arg[] = [];
  for (const input of inputs) {
    const one = commitArguments(input);
    counts.push(one.keys.length, one.args.length);
    for (const k of one.keys) keys.push(k);
    for (const a of one.args) args.push(a);
  }
  pipeline.canopyCommitBatch(keys.length, ...keys, ...counts, ...args);
}

/** One commit's KEYS and ARGV, as commit.lua.ts lays them out. */
function commitArguments(input: CommitRequest): { keys: Arg[]; args: Arg[] } {
  const scopes: string[] = [];
  for (const w of input.writes) if (!scopes.includes(w.scope)) scopes.push(w.scope);
  const id = input.meta.id;
  const keys: Arg[] = [
    RedisKeys.lease(input.shard),
    RedisKeys.execMeta(id),
    RedisKeys.execCheckpoint(id),
    RedisKeys.execOutbox(id),
    RedisKeys.execDebug(id),
  ];
  for (const s of scopes) keys.push(RedisKeys.scopeValues(s), RedisKeys.scopeVersions(s));
  keys.push(RedisKeys.execEvents(id));
  const args: Arg[] = [
    input.runnerId,
    String(input.epoch),
    input.kind,
    input.meta.tick,
    input.checkpointInRecord === undefined ? asJson(input.checkpoint) : `#${input.checkpointInRecord + 1}`,
    asJson(input.record),
    input.trimThrough === undefined || input.trimThrough <= 0 ? '' : input.trimThrough,
  ];
  // A tick changes only these fields of the metadata; commands (`state` commits) store all of it.
  if (input.kind === 'tick' && input.fullMeta !== true) {
    const tokens = input.meta.llmTokens;
    // The tokens used go with the tick that recorded the calls, so a new owner's budget is exact.
    args.push(tokens === undefined ? 3 : 4, 'tick', input.meta.tick, 'status', input.meta.status, 'state', input.meta.state);
    if (tokens !== undefined) args.push('llmTokens', tokens);
  } else {
    const hash = Object.entries(metaToHash(input.meta));
    args.push(hash.length);
    for (const [field, value] of hash) args.push(field, value);
  }
  args.push(input.debug === undefined ? '' : input.debug === null ? '-' : input.debug);
  args.push(input.writes.length);
  for (const w of input.writes) {
    const scope = scopes.indexOf(w.scope) + 1;
    const sem = w.semaphore;
    if (sem && sem.added.length > 0) {
      args.push(scope, w.key, 'cas', JSON.stringify(w.value ?? null), sem.expected === undefined ? '' : JSON.stringify(sem.expected));
    } else if (sem && !w.deleted) {
      args.push(scope, w.key, 'drop', '', JSON.stringify(sem.removed));
    } else if (w.deleted) {
      args.push(scope, w.key, 'del', '', '');
    } else {
      args.push(scope, w.key, 'set', JSON.stringify(w.value ?? null), '');
    }
  }
  const taken = input.events ?? [];
  args.push(taken.length, ...taken);
  return { keys, args };
}

/** JSON for a script argument: objects are serialised, text and bytes go as they are, nothing is ''. */
function asJson(value: object | string | Buffer | undefined): string | Buffer {
  if (value === undefined) return '';
  return typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value);
}

export function parseCommitReply(reply: unknown, writes: readonly ScopeWrite[] = []): CommitOutcome {
  if (!Array.isArray(reply)) throw new Error(`unexpected commit reply: ${JSON.stringify(reply)}`);
  const [tag, ...rest] = reply as unknown[];
  switch (tag) {
    case 'OK': {
      const versions = rest.slice(0, writes.length).map(Number);
      const released = rest.slice(writes.length).map((json) => JSON.parse(String(json)) as unknown);
      return { kind: 'ok', versions, released };
    }
    case 'FENCED':
      return { kind: 'fenced', owner: String(rest[0] ?? ''), epoch: String(rest[1] ?? '') };
    case 'STALE':
      return { kind: 'stale', storedTick: Number(rest[0]) };
    case 'CONFLICT':
      return { kind: 'conflict', key: String(rest[0] ?? '') };
    case 'GONE':
      return { kind: 'gone' };
    default:
      throw new Error(`unexpected commit reply: ${JSON.stringify(reply)}`);
  }
}
