import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeLogDir, REPO_ROOT } from '@canopy/testing';

const SDK = join(REPO_ROOT, 'libs/sdk');
const manifest = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  exports: Record<string, unknown>;
};

function files(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name));
}

/** `@scope/name` or `name` of a bare specifier (`@scope/name/sub` -> `@scope/name`). */
const packageOf = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * The built package as a user gets it: dist/ under node_modules/@canopy/sdk of an empty project
 * whose node_modules holds only the declared dependencies, loaded by plain node (no SWC, no
 * tsconfig paths) and type-checked by tsc through its exports map.
 */
describe('the built package', () => {
  const dir = makeLogDir('sdk-package');
  const project = dir.dir;

  beforeAll(() => {
    execFileSync(process.execPath, [join(SDK, 'tools/build.mjs')], { cwd: REPO_ROOT });
    const target = join(project, 'node_modules/@canopy/sdk');
    mkdirSync(target, { recursive: true });
    for (const f of ['package.json', 'README.md', 'dist'])
      cpSync(join(SDK, f), join(target, f), { recursive: true });
    for (const dep of [...Object.keys(manifest.dependencies), 'typescript', '@types/node']) {
      const link = join(project, 'node_modules', dep);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(REPO_ROOT, 'node_modules', dep), link);
    }
  }, 120_000);

  afterAll(() => dir.remove());

  it('imports only declared dependencies and node built-ins', () => {
    const dist = join(SDK, 'dist');
    const bare = new Set<string>();
    for (const file of files(dist, '.js')) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g))
        bare.add(packageOf(spec));
    }
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const undeclared = [...bare].filter((p) => !builtins.has(p) && !(p in manifest.dependencies));
    expect(undeclared).toEqual([]);
    expect(bare.has('@canopy/contracts')).toBe(false); // workspace libs are compiled in
  });

  it('has a browser entry (@canopy/sdk/rest) whose import graph is only openapi-fetch', () => {
    // Every file the entry requires, transitively, from the built JavaScript.
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
        if (spec.startsWith('.'))
          visit(join(dirname(file), spec.endsWith('.js') ? spec : `${spec}.js`));
        else bare.add(spec);
      }
    };
    visit(join(SDK, 'dist/libs/sdk/src/rest/index.js'));
    // No node built-ins, NATS, OpenTelemetry, ws, pino, zod, nor a workspace lib's code.
    expect([...bare]).toEqual(['openapi-fetch']);
    expect([...seen].map((f) => f.slice(join(SDK, 'dist/libs/').length)).sort()).toEqual([
      'sdk/src/rest/client.js',
      'sdk/src/rest/errors.js',
      'sdk/src/rest/index.js',
      'sdk/src/stream/browser-socket.js',
      'sdk/src/stream/follow.js',
      'sdk/src/stream/gap-fill.js',
      'sdk/src/stream/messages.js',
      'sdk/src/stream/socket.js',
    ]);
    // Loaded by plain node through the exports map, it loads no other package.
    const script = `
      const rest = require('@canopy/sdk/rest');
      const client = new rest.CanopyClient({ baseUrl: 'http://gw.example', apiKey: () => 'k2' });
      console.log(JSON.stringify({
        resolved: require.resolve('@canopy/sdk/rest'),
        exports: ['CanopyClient', 'unwrap', 'followExecution', 'CanopyError', 'ActionWorker', 'subscribeTicks'].filter((n) => typeof rest[n] === 'function'),
        auth: client.authHeaders(),
        packages: [...new Set(Object.keys(require.cache).filter((f) => f.includes('/node_modules/') && !f.includes('/@canopy/sdk/')).map((f) => f.split('/node_modules/').pop().split('/')[0]))],
      }));`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(out).toEqual({
      resolved: join(project, 'node_modules/@canopy/sdk/dist/libs/sdk/src/rest/index.js'),
      exports: ['CanopyClient', 'unwrap', 'followExecution', 'CanopyError'],
      auth: { authorization: 'Bearer k2' },
      packages: ['openapi-fetch'],
    });
  });

  it('loads under plain node through its exports map', () => {
    const script = `
      const sdk = require('@canopy/sdk');
      const client = new sdk.CanopyClient({ baseUrl: 'https://gw.example:8443/', apiKey: 'k' });
      console.log(JSON.stringify({
        resolved: require.resolve('@canopy/sdk'),
        exports: ['CanopyClient', 'unwrap', 'followExecution', 'subscribeTicks', 'subscribeEvents', 'ActionWorker', 'CanopyError'].filter((n) => typeof sdk[n] === 'function'),
        stream: client.streamUrl('e 1', { events: 'tick_complete' }),
        auth: client.authHeaders(),
      }));`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(out).toEqual({
      resolved: join(project, 'node_modules/@canopy/sdk/dist/libs/sdk/src/index.js'),
      exports: [
        'CanopyClient',
        'unwrap',
        'followExecution',
        'subscribeTicks',
        'subscribeEvents',
        'ActionWorker',
        'CanopyError',
      ],
      stream: 'wss://gw.example:8443/executions/e%201/ws?events=tick_complete',
      auth: { authorization: 'Bearer k' },
    });
  });

  it("type-checks a user's code against its declarations", () => {
    writeFileSync(
      join(project, 'main.ts'),
      `import { CanopyClient, unwrap, type StreamMessage } from '@canopy/sdk';
       import { CanopyClient as BrowserClient, type RestAnswer } from '@canopy/sdk/rest';
       export const browser = new BrowserClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: () => undefined });
       export const stateOf = (e: RestAnswer<'/executions/{id}', 'get'>): string => e.state;
       const client = new CanopyClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.KEY });
       export async function names(): Promise<string[]> {
         const trees = await unwrap(client.rest.GET('/trees'));
         return trees.map((t) => t.name);
       }
       export const tickOf = (m: StreamMessage): number => m.tick;
       // @ts-expect-error: not a route of the gateway
       void client.rest.GET('/no-such-route');
      `,
    );
    const tsc = join(project, 'node_modules/typescript/bin/tsc');
    const args = [
      '--noEmit',
      '--strict',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--skipLibCheck',
      '--types',
      'node',
      'main.ts',
    ];
    expect(() =>
      execFileSync(process.execPath, [tsc, ...args], { cwd: project, encoding: 'utf8' }),
    ).not.toThrow();
  });

  it('is a versioned, publishable manifest', () => {
    expect(manifest.name).toBe('@canopy/sdk');
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest).not.toHaveProperty('private');
    expect(manifest.exports['.']).toMatchObject({
      types: './dist/libs/sdk/src/index.d.ts',
      default: './dist/libs/sdk/src/index.js',
    });
    expect(manifest.exports['./rest']).toEqual({
      'canopy-source': './src/rest/index.ts',
      types: './dist/libs/sdk/src/rest/index.d.ts',
      default: './dist/libs/sdk/src/rest/index.js',
    });
  });
});
