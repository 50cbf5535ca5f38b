/** Readers for checkpoint state: a checkpoint is JSON from outside, so read it defensively. */
export type NodeState = Record<string, unknown>;

export function numberIn(s: NodeState, key: string, fallback: number): number {
  const v = s[key];
  return typeof v === 'number' ? v : fallback;
}

export function numberOrNull(s: NodeState, key: string): number | null {
  const v = s[key];
  return typeof v === 'number' ? v : null;
}

export function stringIn(s: NodeState, key: string, fallback: string): string {
  const v = s[key];
  return typeof v === 'string' ? v : fallback;
}

export function recordIn(s: NodeState, key: string): Record<string, unknown> | undefined {
  const v = s[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}
