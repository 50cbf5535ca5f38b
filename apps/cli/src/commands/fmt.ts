import { format } from '@canopy/dsl';
import { parseArgs, rejectUnknown, UsageError } from '../args';
import { Io, readSource } from '../io';
import { reportErrors } from '../load';

export function fmtCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, new Set(['write']));
  rejectUnknown(args, ['write']);
  if (args.positionals.length !== 1) throw new UsageError('fmt takes exactly one FILE');
  const file = args.positionals[0];
  const result = format(readSource(io, file), { file });
  if (result.text === undefined || result.errors.length > 0) {
    reportErrors(io, result.errors);
    return 2;
  }
  if (args.flags.has('write')) io.writeFile(file, result.text);
  else io.out(result.text);
  return 0;
}
