import { CreateKeyRequestSchema, RoleSchema } from '@canopy/contracts';
import { parseArgs, rejectUnknown, single, UsageError } from '../args';
import { GatewayClient, GatewayError, gatewayUrl } from '../gateway/client';
import { reportGatewayError } from '../gateway/report';
import type { Io } from '../io';

/**
 * `canopy keys create --role R [--teams a,b] [--name N]`: prints the new key (the only time it is
 * shown) as `CANOPY_API_KEY=<key>`, then its id. `keys list [--format json]`: id, role, teams,
 * name, creation time. `keys revoke ID`. Needs an admin key without teams in CANOPY_API_KEY.
 */
export async function keysCommand(argv: readonly string[], io: Io): Promise<number> {
  const [action, ...rest] = argv;
  const args = parseArgs(rest, new Set());
  const client = () => new GatewayClient(gatewayUrl(single(args, 'gateway')));
  try {
    switch (action) {
      case 'create': {
        rejectUnknown(args, ['gateway', 'role', 'teams', 'name']);
        if (args.positionals.length > 0) throw new UsageError('keys create takes no FILE or ID');
        const role = RoleSchema.safeParse(single(args, 'role'));
        if (!role.success)
          throw new UsageError(`--role must be one of ${RoleSchema.options.join(', ')}`);
        const teams = single(args, 'teams')
          ?.split(',')
          .map((t) => t.trim())
          .filter((t) => t.length > 0);
        const name = single(args, 'name');
        const request = CreateKeyRequestSchema.safeParse({
          role: role.data,
          ...(teams ? { teams } : {}),
          ...(name ? { name } : {}),
        });
        if (!request.success) {
          throw new UsageError(`--teams: ${request.error.issues[0]?.message ?? 'invalid'}`);
        }
        const key = await client().createKey(request.data);
        io.out(`CANOPY_API_KEY=${key.key}\n`);
        io.err(`key ${key.id}: ${describe(key)}; shown once, keep it\n`);
        return 0;
      }
      case 'list': {
        rejectUnknown(args, ['gateway', 'format']);
        const format = single(args, 'format') ?? 'pretty';
        if (format !== 'json' && format !== 'pretty')
          throw new UsageError('--format must be json or pretty');
        const keys = await client().listKeys();
        if (format === 'json') {
          io.out(`${JSON.stringify(keys)}\n`);
          return 0;
        }
        for (const key of keys) io.out(`${key.id}  ${describe(key)}  ${key.createdAt}\n`);
        return 0;
      }
      case 'revoke': {
        rejectUnknown(args, ['gateway']);
        const [id, ...more] = args.positionals;
        if (!id || more.length > 0) throw new UsageError('keys revoke needs exactly one key ID');
        await client().revokeKey(id);
        io.out(`revoked ${id}\n`);
        return 0;
      }
      default:
        throw new UsageError('keys needs create, list or revoke');
    }
  } catch (error) {
    if (error instanceof GatewayError) return reportGatewayError(io, error);
    throw error;
  }
}

function describe(key: { role: string; teams?: string[]; name?: string }): string {
  const teams = key.teams ? ` teams=${key.teams.join(',')}` : '';
  const name = key.name ? ` "${key.name}"` : '';
  return `${key.role}${teams}${name}`;
}
