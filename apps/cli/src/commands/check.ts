import { parseArgs, rejectUnknown, UsageError } from '../args';
import { Io } from '../io';
import { compileFiles, reportErrors } from '../load';

export function checkCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, new Set());
  rejectUnknown(args, []);
  if (args.positionals.length === 0) throw new UsageError('check needs at least one FILE');
  const result = compileFiles(io, args.positionals);
  if (result.errors.length > 0) {
    reportErrors(io, result.errors);
    return 2;
  }
  return 0;
}
