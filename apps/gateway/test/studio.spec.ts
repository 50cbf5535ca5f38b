import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, startHarness } from './gateway-harness';

/** Studio's static files (apps/gateway/src/studio): a stand-in build in a temp dir. */
describe('Studio at /studio', () => {
  let harness: Harness;
  let dir: string;
  const NO_KEY = { authorization: '' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'studio-dist-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/studio/assets/app-1a2b.js"></script>');
    writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'console.log("studio")');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    harness = await startHarness({ STUDIO_DIR: dir });
  }, 120_000);

  afterAll(async () => {
    await harness?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (url: string) => harness.gateway.inject({ method: 'GET', url, headers: NO_KEY });

  it('serves index.html for the app and its routes, without credentials, revalidated on each load', async () => {
    for (const url of ['/studio', '/studio/', '/studio/executions/patrol-1', '/studio/teams/red']) {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('/studio/assets/app-1a2b.js');
      // The gateway's CSP is on the page: scripts from the gateway only, no inline script.
      expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    }
  });

  it('serves hashed assets as immutable and other files revalidated', async () => {
    const js = await get('/studio/assets/app-1a2b.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const svg = await get('/studio/favicon.svg');
    expect(svg.statusCode).toBe(200);
    expect(svg.headers['cache-control']).toBe('no-cache');
  });

  it('answers 404 in the error shape for a missing file, and never serves outside its folder', async () => {
    const gone = await get('/studio/assets/gone.js');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('NOT_FOUND');
    // `..`, plain or encoded: a 404 of ours, or (resolved by the URL parser first, outside
    // /studio) the API's 401; never the file.
    for (const url of ['/studio/../package.json', '/studio/..%2f..%2fpackage.json', '/studio/%2e%2e/%2e%2e/package.json']) {
      const res = await get(url);
      expect([401, 404]).toContain(res.statusCode);
      expect(res.json().error.code).toMatch(/^(NOT_FOUND|UNAUTHENTICATED)$/);
      expect(res.body).not.toContain('"workspaces"');
    }
  });

  it('keeps the API behind credentials and out of the OpenAPI document', async () => {
    expect((await get('/executions')).statusCode).toBe(401);
    const doc = (await get('/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/studio'))).toEqual([]);
    expect(doc.paths['/trees/check']).toBeDefined();
  });

  it('says how to build Studio when it is not built', async () => {
    rmSync(join(dir, 'index.html'));
    const res = await get('/studio/executions/x');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toContain('nx build studio');
  });
});
