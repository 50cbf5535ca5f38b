import { parseArgs, rejectUnknown, single, UsageError } from '../args';
import { GatewayClient, gatewayUrl } from '../gateway/client';
import { showLive } from '../gateway/live';
import { Io, stopSignal } from '../io';
import { eventsFlag, formatFlag } from './gateway-args';

/**
 * `canopy tail ID [--gateway URL] [--events a,b] [--format json|pretty]`: an execution's live
 * events until it stops or completes (exit 0), or Ctrl-C (exit 0). Reconnects when the
 * connection drops. An unknown execution is 2, an unreachable gateway 1 (main reports them).
 */
export async function tailCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, new Set());
  rejectUnknown(args, ['gateway', 'events', 'format']);
  if (args.positionals.length !== 1) throw new UsageError('tail takes exactly one execution ID');
  const client = new GatewayClient(gatewayUrl(single(args, 'gateway')));
  const options = { format: formatFlag(args), events: eventsFlag(args), untilTerminal: true };
  const stop = stopSignal(io);
  try {
    await showLive(io, client, args.positionals[0], { ...options, signal: stop.signal });
    return 0;
  } finally {
    stop.dispose();
  }
}
