import { dirname, extname, join } from 'node:path';
import { print, sourcePosition } from '@canopy/dsl';
import { exportBtcpp, formatIssue, importBtcpp, importMdsl, type FormatIssue } from '@canopy/formats';
import { parseArgs, rejectUnknown, single, UsageError } from '../args';
import { FileReadError, Io, readSource, writeOutput } from '../io';
import { compileFiles, reportErrors } from '../load';

const FROM = ['btcpp', 'mdsl'] as const;

/**
 * `canopy import FILE [--from btcpp|mdsl] [--out PATH]`: a BehaviorTree.CPP XML or mistreevous MDSL
 * file as Canopy source (canonical text). Issues go to stderr as `file:line:column: message`;
 * notes do not stop the import, errors do (exit 2, nothing written).
 */
export function importCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, new Set());
  rejectUnknown(args, ['from', 'out']);
  if (args.positionals.length !== 1) throw new UsageError('import takes exactly one FILE');
  const file = args.positionals[0];
  const from = single(args, 'from') ?? (extname(file).toLowerCase() === '.xml' ? 'btcpp' : extname(file).toLowerCase() === '.mdsl' ? 'mdsl' : undefined);
  if (from === undefined || !(FROM as readonly string[]).includes(from))
    throw new UsageError(`--from must be btcpp or mdsl${from === undefined ? ' (no .xml or .mdsl extension to tell)' : `, not '${from}'`}`);
  const text = readSource(io, file);
  const result =
    from === 'btcpp'
      ? importBtcpp(text, {
          file,
          readInclude: (path, including) => {
            const included = join(dirname(including), path);
            try {
              return { text: readSource(io, included), file: included };
            } catch (error) {
              if (error instanceof FileReadError) return undefined;
              throw error;
            }
          },
        })
      : importMdsl(text, { file });
  report(io, result.issues);
  if (!result.document) return 2;
  const source = print(result.document);
  const out = single(args, 'out');
  if (out !== undefined) writeOutput(io, out, source);
  else io.out(source);
  return 0;
}

/**
 * `canopy export FILE --to btcpp [--out PATH]`: a Canopy file as BehaviorTree.CPP v4 XML. What
 * BT.CPP cannot express is reported at its place in FILE (exit 2, nothing written).
 */
export function exportCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, new Set());
  rejectUnknown(args, ['to', 'out']);
  if (args.positionals.length !== 1) throw new UsageError('export takes exactly one FILE');
  if (single(args, 'to') !== 'btcpp') throw new UsageError('export needs --to btcpp (the one format it writes)');
  const file = args.positionals[0];
  const compiled = compileFiles(io, [file]);
  if (compiled.errors.length > 0) {
    reportErrors(io, compiled.errors);
    return 2;
  }
  const result = exportBtcpp(compiled.documents[0].document, { file });
  if (!result.xml) {
    const source = readSource(io, file);
    report(io, result.issues.map((issue) => (issue.path ? { ...issue, ...sourcePosition(source, issue.path) } : issue)));
    return 2;
  }
  const out = single(args, 'out');
  if (out !== undefined) writeOutput(io, out, result.xml);
  else io.out(result.xml);
  return 0;
}

function report(io: Io, issues: readonly FormatIssue[]): void {
  for (const issue of issues) io.err(`${formatIssue(issue)}\n`);
}
