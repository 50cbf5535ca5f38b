import { parseArgs, rejectUnknown, single, UsageError } from '../args';
import { GatewayClient, GatewayError, gatewayUrl } from '../gateway/client';
import { reportGatewayError } from '../gateway/report';
import { Io, readSource } from '../io';
import { fileField } from './gateway-args';

/**
 * `canopy push FILE... [--gateway URL]`: registers each file's trees (`POST /trees`), in the
 * order given, so a file may use the trees of those before it. Prints `name vN` per file. A file
 * the gateway rejects prints its `file:line:column: message` lines; the others are still pushed,
 * and the exit code is 2. An unreachable gateway stops at once with 1.
 */
export async function pushCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, new Set());
  rejectUnknown(args, ['gateway']);
  if (args.positionals.length === 0) throw new UsageError('push needs at least one FILE');
  const client = new GatewayClient(gatewayUrl(single(args, 'gateway')));
  const sources = args.positionals.map((file) => ({ file, source: readSource(io, file) }));
  let code = 0;
  for (const { file, source } of sources) {
    try {
      const tree = await client.registerTree(source, fileField(file));
      const others = tree.trees.filter((t) => t !== tree.name);
      const rest = others.length > 0 ? `, with ${others.join(', ')}` : '';
      io.out(`${tree.name} v${tree.version}  (${file}: ${tree.nodeCount} nodes${rest})\n`);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      code = Math.max(code, reportGatewayError(io, error));
    }
  }
  return code;
}
