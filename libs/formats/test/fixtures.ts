import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compile } from '@canopy/dsl';
import type { TreeDocument } from '@canopy/engine';

export const BTCPP = join(__dirname, 'fixtures/btcpp');

export function fixture(name: string): string {
  return readFileSync(join(BTCPP, name), 'utf8');
}

/** Includes read from the fixtures folder, relative to the including file (as `canopy import` does). */
export function readInclude(path: string, from: string): { text: string; file: string } | undefined {
  const file = join(dirname(from), path);
  try {
    return { text: fixture(file), file };
  } catch {
    return undefined;
  }
}

/** The document a Canopy source compiles to: expected values are written in the tree language. */
export function canopy(source: string): TreeDocument {
  const { document, errors } = compile(source, { lenientSubtrees: true });
  if (!document) throw new Error(errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n'));
  return document;
}
