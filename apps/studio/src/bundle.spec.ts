// Studio's production bundle runs in the browser: it must hold no Node-only code. The lint rules
// (eslint.config.mjs) stop Studio importing it; this checks what the bundle really holds, so a
// Node import deep inside @canopy/sdk/rest (or a lib it starts using) fails here too.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const NODE_ONLY_PACKAGES = /\/node_modules\/(ws|@nats-io\/[^/]+|@opentelemetry\/[^/]+|pino|pino-[^/]+|zod|@nestjs\/[^/]+|undici)\//;
const BUILTINS = new Set(builtinModules);

describe("Studio's production bundle", () => {
  const outDir = mkdtempSync(join(tmpdir(), 'studio-bundle-'));
  let modules: string[] = [];
  let code = '';

  beforeAll(() => {
    const script = join(ROOT, 'apps/studio/tools/bundle-modules.mjs');
    const out = execFileSync(process.execPath, [script, outDir], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
    });
    modules = (JSON.parse(out) as string[]).map((id) => (id.startsWith(ROOT) ? relative(ROOT, id) : id));
    const assets = join(outDir, 'assets');
    code = readdirSync(assets)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(assets, f), 'utf8'))
      .join('\n');
  }, 120_000);

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('holds the SDK browser entry, from its sources', () => {
    // Resolved through the `canopy-source` condition (vite.config.mts), not a built dist/.
    expect(modules).toEqual(expect.arrayContaining(['libs/sdk/src/rest/client.ts', 'libs/sdk/src/stream/follow.ts']));
    expect(modules.some((m) => `/${m}`.includes('/node_modules/openapi-fetch/'))).toBe(true);
  });

  it('holds no Node-only module: no built-in, ws, NATS, OpenTelemetry, pino, zod', () => {
    const nodeOnly = modules.filter((m) => m.startsWith('node:') || BUILTINS.has(m) || NODE_ONLY_PACKAGES.test(`/${m}`));
    expect(nodeOnly).toEqual([]);
    // Of the workspace libraries only the SDK's browser entry and its stream (not the ws transport).
    const workspace = modules.filter((m) => m.startsWith('libs/'));
    expect(workspace.filter((m) => !/^libs\/sdk\/src\/(rest|stream)\//.test(m))).toEqual([]);
    expect(workspace.filter((m) => /ws-socket|follow-node/.test(m))).toEqual([]);
  });

  it('imports nothing from node: in the emitted JavaScript', () => {
    expect(code.length).toBeGreaterThan(0);
    expect(code.match(/(from\s*|import\s*\(\s*|require\s*\(\s*)["']node:[^"']*["']/g) ?? []).toEqual([]);
  });
});
