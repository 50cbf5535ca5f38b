import { BuildError, buildTree } from '@canopy/engine';
import { renderPng, renderSvg, toDot } from '@canopy/viz';
import { extname } from 'node:path';
import { parseArgs, rejectUnknown, single, UsageError } from '../args';
import { Io, writeOutput } from '../io';
import { compileFiles, reportErrors } from '../load';

const FORMATS = ['dot', 'svg', 'png'] as const;
type Format = (typeof FORMATS)[number];

const BY_EXTENSION: Readonly<Record<string, Format>> = {
  '.dot': 'dot',
  '.gv': 'dot',
  '.svg': 'svg',
  '.png': 'png',
};

/**
 * `canopy viz FILE [--tree NAME] [--format dot|svg|png] [--out PATH]`: the tree's structure as a
 * picture. Without `--format` the format follows the extension of `--out`, else SVG. Without
 * `--out` it goes to stdout (PNG bytes too, for piping).
 */
export async function vizCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, new Set());
  rejectUnknown(args, ['tree', 'format', 'out']);
  if (args.positionals.length !== 1) throw new UsageError('viz takes exactly one FILE');
  const out = single(args, 'out');
  const format = formatOf(single(args, 'format'), out);

  const file = args.positionals[0];
  const compiled = compileFiles(io, [file]);
  if (compiled.errors.length > 0) {
    reportErrors(io, compiled.errors);
    return 2;
  }
  let dot: string;
  try {
    // Built without ticking: actions are never called, so none need to be known.
    const tree = buildTree(compiled.documents[0].document, { tree: single(args, 'tree') });
    dot = toDot(tree.nodes, { title: tree.name });
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    io.err(`${file}: ${error.message}\n`);
    return 2;
  }
  const data =
    format === 'dot' ? dot : format === 'svg' ? await renderSvg(dot) : await renderPng(dot);
  if (out !== undefined) writeOutput(io, out, data);
  else if (typeof data === 'string') io.out(data);
  else io.outBytes(data);
  return 0;
}

function formatOf(flag: string | undefined, out: string | undefined): Format {
  if (flag !== undefined) {
    if (!(FORMATS as readonly string[]).includes(flag)) {
      throw new UsageError(`--format must be dot, svg or png, got '${flag}'`);
    }
    return flag as Format;
  }
  if (out === undefined) return 'svg';
  const byExtension = BY_EXTENSION[extname(out).toLowerCase()];
  // `--out x.bmp` must not quietly write SVG into a file named .bmp.
  if (byExtension === undefined) {
    throw new UsageError(`--out ${out}: cannot tell the format from '${extname(out) || 'no extension'}'; use .dot, .gv, .svg or .png, or --format`);
  }
  return byExtension;
}
