#!/usr/bin/env node
// Builds Studio as `nx build studio` does (apps/studio/vite.config.mts) into OUT_DIR and prints
// the modules the production bundle holds, as JSON: the input of src/bundle.spec.ts, which fails
// when Node-only code gets into the browser bundle.
// `node apps/studio/tools/bundle-modules.mjs OUT_DIR` (from the repository root).
import { resolve } from 'node:path';
import { build } from 'vite';

const outDir = process.argv[2];
if (!outDir) throw new Error('usage: bundle-modules.mjs OUT_DIR');
const modules = new Set();
await build({
  configFile: resolve(import.meta.dirname, '../vite.config.mts'),
  logLevel: 'warn',
  build: { outDir: resolve(outDir), emptyOutDir: true },
  plugins: [
    {
      name: 'canopy-list-modules',
      generateBundle(_options, bundle) {
        for (const chunk of Object.values(bundle))
          if (chunk.type === 'chunk') for (const id of chunk.moduleIds) modules.add(id);
      },
    },
  ],
});
process.stdout.write(JSON.stringify([...modules]));
