import { buildTree, type TreeDocument } from '@canopy/engine';
import type { Io } from '../io';
import { nodeLabel } from '../render';
import { paint } from '../terminal';
import type { GatewayClient } from './client';
import { followEvents, type FollowEnd } from './event-stream';
import { formatMessage, type StreamMessage } from './format-event';

export interface LiveOptions {
  format: 'json' | 'pretty';
  /** Event types to show (`--events`); all when absent. Gateway messages are always shown. */
  events?: readonly string[];
  /** Return when the execution stops or completes. */
  untilTerminal: boolean;
  signal: AbortSignal;
}

/** How long the first lines may wait for the tree that names their nodes. */
const LABELS_TIMEOUT_MS = 3_000;

/**
 * An execution's live events on the terminal: one readable line per event (`pretty`, coloured
 * when `io.color`), or each message exactly as the gateway sent it (`json`, one per line).
 * Connection notices go to stderr.
 */
export async function showLive(
  io: Io,
  client: GatewayClient,
  execId: string,
  opts: LiveOptions,
): Promise<FollowEnd> {
  const shown = opts.events ? new Set(opts.events) : undefined;
  const labels = new NodeLabels(client);
  // Lines wait, in order, while the snapshot's (or a reload's) tree is read for node labels.
  let printed = Promise.resolve();
  const print = (message: StreamMessage) => {
    const line = formatMessage(message, { color: io.color, labels: labels.current });
    if (line !== undefined) io.out(`${line}\n`);
  };
  const end = await followEvents({
    client,
    execId,
    events: opts.events,
    signal: opts.signal,
    untilTerminal: opts.untilTerminal,
    onNotice: (text) => io.err(paint(io.color, 'yellow', `canopy: ${text}\n`)),
    onMessage: (message, raw) => {
      if (message.seq >= 0 && shown && !shown.has(message.type)) return;
      if (opts.format === 'json') return io.out(`${raw}\n`);
      const loading = labels.follow(message);
      printed = loading
        ? printed.then(() => loading).then(() => print(message))
        : printed.then(() => print(message));
    },
  });
  await printed;
  return end;
}

/**
 * Node id -> `type "name"` for the version of the tree the execution runs, read from the gateway
 * when the snapshot (or a reload) names it. Without it (unreadable, slow) lines show ids only.
 */
class NodeLabels {
  current: ReadonlyMap<string, string> | undefined;
  private loaded = '';
  private tree: string | undefined;

  constructor(private readonly client: GatewayClient) {}

  /** A promise when the message names another version of the tree: its labels, loading. */
  follow(message: StreamMessage): Promise<void> | undefined {
    if (message.type === 'snapshot') {
      const execution = message.data['execution'] as
        { tree?: string; version?: number } | undefined;
      if (execution?.tree && execution.version) return this.load(execution.tree, execution.version);
    }
    // `version` today (contracts); `toVersion` is the reload reply's name for it.
    const reloaded =
      message.type === 'tree_reloaded'
        ? (message.data['version'] ?? message.data['toVersion'])
        : undefined;
    if (typeof reloaded === 'number' && this.tree) return this.load(this.tree, reloaded);
    return undefined;
  }

  private load(tree: string, version: number): Promise<void> | undefined {
    const key = `${tree}@${version}`;
    if (key === this.loaded) return undefined;
    this.loaded = key;
    this.tree = tree;
    const read = this.client.getTree(tree, version).then(
      (record) => {
        try {
          const built = buildTree(record.definition as unknown as TreeDocument, { tree });
          this.current = new Map(built.nodes.map((n) => [n.id, nodeLabel(n)]));
        } catch {
          this.current = undefined; // labels are a nicety: ids alone still say where
        }
      },
      () => undefined,
    );
    const timeout = new Promise<void>((r) => setTimeout(r, LABELS_TIMEOUT_MS).unref());
    return Promise.race([read, timeout]);
  }
}
