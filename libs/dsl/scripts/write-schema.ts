/**
 * Writes the JSON Schema of tree documents to libs/dsl/schema/canopy-tree.schema.json, formatted
 * the way the repository's prettier check expects.
 * Run from the repository root: `node -r @swc-node/register libs/dsl/scripts/write-schema.ts`
 * (a test fails when the committed file differs from `treeDocumentSchema`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { treeDocumentSchema } from '../src';

async function main(): Promise<void> {
  const target = join(__dirname, '..', 'schema', 'canopy-tree.schema.json');
  const options = (await resolveConfig(target)) ?? {};
  const text = await format(JSON.stringify(treeDocumentSchema), { ...options, filepath: target });
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}

void main();
