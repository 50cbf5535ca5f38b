// Used by deploy/docker/Dockerfile, between `npm ci` and `npm prune --omit=dev`.
//
// The services run from their TypeScript sources through `node -r @swc-node/register`, so the
// swc packages are needed at run time although the root package.json lists them as
// devDependencies (they are the workspace's test and bench tooling too). This moves them, with
// their declared ranges, to `dependencies` in the image's copy of package.json, so the prune
// keeps them and their own dependencies and drops the rest of the dev tooling (nx, jest, eslint).
//
//   node runtime-deps.mjs [package.json]
import { readFileSync, writeFileSync } from 'node:fs';

const RUNTIME_PACKAGES = ['@swc-node/register', '@swc/core'];

const file = process.argv[2] ?? 'package.json';
const pkg = JSON.parse(readFileSync(file, 'utf8'));
pkg.dependencies ??= {};
for (const name of RUNTIME_PACKAGES) {
  const range = pkg.dependencies[name] ?? pkg.devDependencies?.[name];
  if (!range) {
    console.error(
      `runtime-deps: ${name} is in neither dependencies nor devDependencies of ${file}`,
    );
    process.exit(1);
  }
  pkg.dependencies[name] = range;
  if (pkg.devDependencies) delete pkg.devDependencies[name];
}
writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
