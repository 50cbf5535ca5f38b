#!/usr/bin/env node
// Runs the TypeScript sources directly: the CLI ships with the repository, not as a build.
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.resolve(__dirname, '../../../tsconfig.json');
require('@swc-node/register');
const { main } = require('../src/main.ts');
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
