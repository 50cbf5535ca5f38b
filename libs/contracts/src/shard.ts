/** FNV-1a: cheap, stable across processes and languages, good enough spread for shard keys. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3's finalizer: FNV alone barely avalanches, which skews rendezvous weights. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const DEFAULT_SHARD_COUNT = 64;

export function shardOf(execId: string, shardCount: number): number {
  return mix(fnv1a(execId)) % shardCount;
}

/**
 * Rendezvous (highest random weight) hashing: each shard goes to the member with the highest
 * weight, so a join or leave moves only the shards that must move.
 */
export function rendezvousOwner(shard: number, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const member of members) {
    const weight = mix(fnv1a(`${member}#${shard}`));
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && member < best)) {
      best = member;
      bestWeight = weight;
    }
  }
  return best;
}
