import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's examples/*.lisp, read in place so tests never hold stale copies. */
const EXAMPLES = join(__dirname, '../../../../examples');

export const examples: [string, string][] = readdirSync(EXAMPLES)
  .filter((name) => name.endsWith('.lisp'))
  .map((name) => [`examples/${name}`, readFileSync(join(EXAMPLES, name), 'utf8')]);
