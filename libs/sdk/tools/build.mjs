// Builds @canopy/sdk to libs/sdk/dist: tsc (JavaScript and declarations of the SDK and of the
// workspace libraries it imports, under dist/libs/...), then tsc-alias rewrites the `@canopy/*`
// path aliases into relative imports, so dist runs under plain node with only the npm packages
// listed in libs/sdk/package.json.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const project = join(root, 'libs/sdk/tsconfig.build.json');
const bin = (name) => join(root, 'node_modules/.bin', name);

rmSync(join(root, 'libs/sdk/dist'), { recursive: true, force: true });
execFileSync(bin('tsc'), ['-p', project], { stdio: 'inherit', cwd: root });
execFileSync(bin('tsc-alias'), ['-p', project], { stdio: 'inherit', cwd: root });
console.log('built libs/sdk/dist');
