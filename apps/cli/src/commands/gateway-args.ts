import { EVENT_TYPES } from '@canopy/contracts';
import { ParsedArgs, single, UsageError } from '../args';

/** `--events a,b`: known event types only, as the gateway would insist. */
export function eventsFlag(args: ParsedArgs): string[] | undefined {
  const raw = single(args, 'events');
  if (raw === undefined) return undefined;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = list.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (list.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--events: unknown event type '${unknown[0] ?? raw}' (known: ${EVENT_TYPES.join(', ')})`,
    );
  }
  return list;
}

export function formatFlag(args: ParsedArgs): 'json' | 'pretty' {
  const format = single(args, 'format') ?? 'pretty';
  if (format !== 'json' && format !== 'pretty')
    throw new UsageError(`--format must be json or pretty, got '${format}'`);
  return format;
}

/** The `file` sent with a source: the path as given, which the gateway's positions then show. */
export function fileField(path: string): string {
  // The gateway takes at most 256 characters; the end of a long path is the useful part.
  return path.length <= 256 ? path : `…${path.slice(-255)}`;
}
